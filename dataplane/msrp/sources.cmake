# The sources of imsd::dp_msrp, listed once for the main build and the clang
# fuzz sub-build.
set(IMSD_DP_MSRP_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/parser.cpp)
set(IMSD_DP_MSRP_RELAY_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/relay.cpp)
