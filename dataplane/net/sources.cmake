# The sources of imsd::dp_net, listed once for the main build and the clang
# fuzz sub-build.
set(IMSD_DP_NET_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/classify.cpp
    ${CMAKE_CURRENT_LIST_DIR}/input.cpp
    ${CMAKE_CURRENT_LIST_DIR}/arp.cpp
    ${CMAKE_CURRENT_LIST_DIR}/ipv4.cpp
    ${CMAKE_CURRENT_LIST_DIR}/output.cpp
    ${CMAKE_CURRENT_LIST_DIR}/neighbour.cpp
    ${CMAKE_CURRENT_LIST_DIR}/rss.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cksum.cpp)
