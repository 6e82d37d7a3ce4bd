# Shared build rules: third-party packages as imported (SYSTEM) targets and
# the per-target defaults every imsd library and program gets.
find_package(PkgConfig REQUIRED)
pkg_check_modules(DPDK REQUIRED IMPORTED_TARGET GLOBAL libdpdk>=22.11)
pkg_check_modules(SOFIA REQUIRED IMPORTED_TARGET GLOBAL sofia-sip-ua>=1.12)
pkg_check_modules(HYPERSCAN REQUIRED IMPORTED_TARGET GLOBAL libhs>=5.4)
pkg_check_modules(LIBXML2 REQUIRED IMPORTED_TARGET GLOBAL libxml-2.0>=2.9)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)

add_library(imsd::dpdk ALIAS PkgConfig::DPDK)
add_library(imsd::sofia_sip ALIAS PkgConfig::SOFIA)
add_library(imsd::hyperscan ALIAS PkgConfig::HYPERSCAN)
add_library(imsd::libxml2 ALIAS PkgConfig::LIBXML2)

# imsd_defaults(<target>): warnings as errors on our own code only; third-party
# headers come in through imported targets, which CMake marks SYSTEM.
function(imsd_defaults target)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "INTERFACE_LIBRARY")
        return()
    endif()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Werror)
    # GCC 12 reports -Wrestrict on std::string concatenation at -O2 where
    # there is no overlap (GCC bugs 105329, 105651); every other warning stays.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
        target_compile_options(${target} PRIVATE -Wno-restrict)
    endif()
    target_compile_features(${target} PUBLIC cxx_std_23)
endfunction()

# imsd_library(<name> ALIAS <ns_name> SOURCES ... DEPS ...)
function(imsd_library name)
    cmake_parse_arguments(ARG "" "ALIAS" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
    add_library(${name} STATIC ${ARG_SOURCES})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    imsd_defaults(${name})
    add_library(imsd::${ARG_ALIAS} ALIAS ${name})
endfunction()

# imsd_embed_text(<out.cpp> <symbol> <input>): a file compiled into the binary
# as a std::string_view, so an installed imsd always carries its own schema
# and default settings.
function(imsd_embed_text out symbol input)
    add_custom_command(
        OUTPUT ${out}
        COMMAND ${CMAKE_COMMAND} -DIN=${input} -DOUT=${out} -DSYMBOL=${symbol}
                -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
        DEPENDS ${input} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
        COMMENT "Embedding ${input}")
endfunction()
