# Helpers that declare mats targets with one set of flags.
#
#   mats_cc_library(NAME gguf SRCS src/gguf/reader.cc DEPS mats::core)
#   mats_cc_test(NAME gguf_test SRCS reader_test.cc DEPS mats::gguf)
#   mats_fuzz_target(NAME gguf SRCS gguf_fuzz.cc DEPS mats::gguf)
#
# A fuzz target links fuzz/replay_main.cc by default, so GCC builds compile it
# and ctest replays fuzz/corpus/<NAME> and fuzz/regressions/<NAME>. With
# MATS_BUILD_FUZZ=ON (clang) it links libFuzzer instead.

set(MATS_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wconversion
    -Wsign-conversion -Wnon-virtual-dtor -Wold-style-cast
    -Wimplicit-fallthrough)

set(MATS_SANITIZE_FLAGS "")
if(MATS_SANITIZE)
  string(REPLACE "," ";" _san_list "${MATS_SANITIZE}")
  foreach(s IN LISTS _san_list)
    list(APPEND MATS_SANITIZE_FLAGS -fsanitize=${s})
  endforeach()
  list(APPEND MATS_SANITIZE_FLAGS -fno-omit-frame-pointer)
endif()

function(_mats_apply_flags target)
  target_compile_options(${target} PRIVATE ${MATS_WARNINGS} ${MATS_SANITIZE_FLAGS})
  if(MATS_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
  if(CMAKE_BUILD_TYPE STREQUAL "Release")
    target_compile_options(${target} PRIVATE -fstack-protector-strong)
    target_compile_definitions(${target} PRIVATE _FORTIFY_SOURCE=2)
  endif()
  if(MATS_BUILD_TESTS)
    target_compile_definitions(${target} PRIVATE _GLIBCXX_ASSERTIONS)
  endif()
  target_link_options(${target} PRIVATE ${MATS_SANITIZE_FLAGS})
endfunction()

function(mats_cc_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(mats_${A_NAME} STATIC ${A_SRCS})
  add_library(mats::${A_NAME} ALIAS mats_${A_NAME})
  target_include_directories(mats_${A_NAME}
    PUBLIC ${PROJECT_SOURCE_DIR}/include
    PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(mats_${A_NAME} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
  _mats_apply_flags(mats_${A_NAME})
endfunction()

function(mats_cc_test)
  cmake_parse_arguments(A "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_include_directories(${A_NAME} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} mats_testing GTest::gmock GTest::gtest_main)
  target_compile_definitions(${A_NAME} PRIVATE
    MATS_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    MATS_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared"
    MATS_BINARY_DIR="${PROJECT_BINARY_DIR}")
  _mats_apply_flags(${A_NAME})
  add_test(NAME ${A_NAME} COMMAND ${A_NAME} WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
  if(A_TIMEOUT)
    set_tests_properties(${A_NAME} PROPERTIES TIMEOUT ${A_TIMEOUT})
  else()
    set_tests_properties(${A_NAME} PROPERTIES TIMEOUT 600)
  endif()
  if(A_LABELS)
    set_tests_properties(${A_NAME} PROPERTIES LABELS "${A_LABELS}")
  endif()
endfunction()

function(mats_fuzz_target)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  set(t fuzz_${A_NAME})
  add_executable(${t} ${A_SRCS})
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${t} PRIVATE ${A_DEPS})
  _mats_apply_flags(${t})
  if(MATS_BUILD_FUZZ)
    target_compile_options(${t} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${t} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    target_sources(${t} PRIVATE ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
    if(MATS_BUILD_TESTS)
      add_test(NAME ${t}_replay
        COMMAND ${t} ${PROJECT_SOURCE_DIR}/fuzz/corpus/${A_NAME}
                     ${PROJECT_SOURCE_DIR}/fuzz/regressions/${A_NAME})
      set_tests_properties(${t}_replay PROPERTIES TIMEOUT 600 LABELS fuzz)
    endif()
  endif()
endfunction()
