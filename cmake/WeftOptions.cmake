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
weft_option(WEFT_LTO "Link-time optimise weft's libraries in optimised builds without sanitizers" ON)

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

# Link-time optimisation of the libraries. A visible operation crosses several of the runtime's
# files (a Mutex's hook in sync.cc, the scheduling point in park.h and the deterministic
# scheduler, the strategy in the harness, the park in sema.cc and park.cc); inlining across them
# and devirtualising the scheduler and strategy calls made the explorer 5-10% faster (5
# alternated runs of bench/explorer_bench), for ~4 s more per executable linked. What must not
# be inlined says so with an attribute, which LTO respects (currentG(), FiberContext::switchTo).
# The libraries' objects then hold GCC's intermediate code only, so every executable that links
# them is link-time optimised by the compiler's linker plugin, with or without -flto of its own.
#
# GCC caps inlining by the growth of the whole unit (--param inline-unit-growth, 40% by default,
# read from the compile options). One file is a small unit; under LTO the unit is the whole
# program, fmt's formatting code included, and the cap was reached before hot two-line
# functions (WaitQueue::dequeue, SpinLock::lock) were inlined into the channel paths: 218 calls
# left out of line, buffered channel streams 7-30% slower than without LTO. At 100 none is
# left out and the executables are no larger than without LTO.
set(WEFT_IPO OFF)
if(WEFT_LTO AND NOT WEFT_SANITIZER_FLAGS)
  include(CheckIPOSupported)
  check_ipo_supported(RESULT WEFT_IPO OUTPUT weft_ipo_error LANGUAGES CXX)
  if(NOT WEFT_IPO)
    message(STATUS "weft: link-time optimisation unavailable (${weft_ipo_error}); building without")
  endif()
endif()
function(weft_enable_lto target)
  if(WEFT_IPO)
    foreach(config RELEASE RELWITHDEBINFO MINSIZEREL)
      set_property(TARGET ${target} PROPERTY INTERPROCEDURAL_OPTIMIZATION_${config} ON)
    endforeach()
    target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:--param=inline-unit-growth=100>)
  endif()
endfunction()

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
