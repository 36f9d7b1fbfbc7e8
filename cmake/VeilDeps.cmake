# Every dependency comes from Debian 12 packages (scripts/install-deps).
find_package(Threads REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Boost 1.81 EXACT REQUIRED COMPONENTS json url)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
if(VEIL_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
if(VEIL_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()

# veil_library(NAME dir-name DEPS ...): one static library per folder of src/veil,
# sources listed by the folder's own CMakeLists (globbed there).
function(veil_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  if(ARG_SOURCES)
    add_library(veil_${name} STATIC ${ARG_SOURCES})
    target_include_directories(veil_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(veil_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  else()  # a library whose sources have not been written yet
    add_library(veil_${name} INTERFACE)
    target_include_directories(veil_${name} INTERFACE ${PROJECT_SOURCE_DIR}/src)
    target_link_libraries(veil_${name} INTERFACE ${ARG_DEPS})
  endif()
  add_library(veil::${name} ALIAS veil_${name})
endfunction()

# veil_test(NAME SOURCES ... DEPS ...): one gtest binary per library, registered with ctest.
function(veil_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SOURCES)  # a test folder whose tests have not been written yet
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} veil_testsupport GTest::gtest GTest::gtest_main)
  # One ctest entry per binary keeps ctest overhead low; gtest prints the cases.
  add_test(NAME ${name} COMMAND ${name} --gtest_brief=1)
  set_tests_properties(${name} PROPERTIES ENVIRONMENT "VEIL_SHARED=${VEIL_SHARED_DIR}" TIMEOUT 600)
endfunction()
