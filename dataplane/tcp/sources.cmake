# The sources of imsd::dp_tcp, listed once for the main build and the clang
# fuzz sub-build.
set(IMSD_DP_TCP_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/stack.cpp
    ${CMAKE_CURRENT_LIST_DIR}/input.cpp
    ${CMAKE_CURRENT_LIST_DIR}/output.cpp
    ${CMAKE_CURRENT_LIST_DIR}/timers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/api.cpp)
