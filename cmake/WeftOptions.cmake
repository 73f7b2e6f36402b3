# Options (all WEFT_*, presettable by a parent project) and the one function that applies
# warnings and sanitizers to every weft target, tests included.
include_guard(GLOBAL)
include(CheckCXXSourceCompiles)

macro(weft_option name doc default)
  if(NOT DEFINED ${name})
    option(${name} "${doc}" ${default})
  endif()
endmacro()

weft_option(WEFT_BUILD_TESTS "Build the GoogleTest suite" ON)
weft_option(WEFT_BUILD_PROPERTIES "Build the RapidCheck property suite" ON)
weft_option(WEFT_BUILD_MUTANTS "Build the mutation test (a second, -DWEFT_MUTANTS build of the runtime)" ON)
weft_option(WEFT_BUILD_EXAMPLES "Build examples/" ON)
weft_option(WEFT_BUILD_BENCHMARKS "Build bench/ (Google Benchmark)" OFF)
weft_option(WEFT_WARNINGS_AS_ERRORS "Treat warnings as errors" OFF)
weft_option(WEFT_ASAN "Build with AddressSanitizer" OFF)
weft_option(WEFT_TSAN "Build with ThreadSanitizer" OFF)
weft_option(WEFT_UBSAN "Build with UndefinedBehaviorSanitizer" OFF)

set(WEFT_SANITIZER_FLAGS "")
if(WEFT_ASAN)
  list(APPEND WEFT_SANITIZER_FLAGS -fsanitize=address)
endif()
if(WEFT_TSAN)
  list(APPEND WEFT_SANITIZER_FLAGS -fsanitize=thread)
endif()
if(WEFT_UBSAN)
  list(APPEND WEFT_SANITIZER_FLAGS -fsanitize=undefined -fno-sanitize-recover=undefined)
endif()

# weft_set_target_options(target): warnings and sanitizers, the same for every target.
function(weft_set_target_options target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(WEFT_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(WEFT_SANITIZER_FLAGS)
    target_compile_options(${target} PRIVATE ${WEFT_SANITIZER_FLAGS} -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE ${WEFT_SANITIZER_FLAGS})
  endif()
endfunction()

# weft_cc_test(NAME n SRCS ... DEPS ... LABELS ...): one GoogleTest binary, discovered by ctest.
function(weft_cc_test)
  cmake_parse_arguments(T "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SRCS})
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} GTest::gtest GTest::gtest_main)
  weft_set_target_options(${T_NAME})
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${T_NAME}
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT 300)
endfunction()
