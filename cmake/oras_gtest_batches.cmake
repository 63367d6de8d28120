# Registers a GoogleTest program's cases with CTest in batches: one CTest test per BATCH cases of
# one suite (named PREFIX + suite + "#" + number), each run as one process with --gtest_filter.
#
# Sanitizer builds use it instead of gtest_discover_tests: a sanitized test program takes a
# sizeable part of a second to start, and one process per case spent more time starting than
# testing. The cases of a batch share a process, as they do when the program is run by hand.
#
# Two parts:
#   oras_gtest_batches(TARGET PREFIX BATCH TIMEOUT [LABELS...])   in a CMakeLists.txt
#   cmake -D EXE=... -D PREFIX=... -D BATCH=... -D TIMEOUT=... -D LABELS=... -D OUT=...
#         -P oras_gtest_batches.cmake                             run after each link

if(CMAKE_SCRIPT_MODE_FILE)
  execute_process(COMMAND "${EXE}" --gtest_list_tests OUTPUT_VARIABLE listing
                  RESULT_VARIABLE rc ERROR_VARIABLE err TIMEOUT 120)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${EXE} --gtest_list_tests failed (${rc}): ${err}")
  endif()
  # Test and suite names are identifiers, `/` and digits: drop what CMake's lists would
  # misread before splitting into lines (parameter values in comments may hold anything).
  string(REPLACE ";" "" listing "${listing}")
  string(REPLACE "[" "" listing "${listing}")
  string(REPLACE "]" "" listing "${listing}")
  string(REPLACE "\\" "" listing "${listing}")
  string(REPLACE "\n" ";" lines "${listing}")
  set(script "")
  set(suite "")
  set(cases "")
  set(count 0)
  set(number 0)
  macro(flush_batch)
    if(count GREATER 0)
      math(EXPR number "${number} + 1")
      set(name "${PREFIX}${suite}#${number}")
      string(APPEND script "add_test([==[${name}]==] [==[${EXE}]==] "
                           "[==[--gtest_filter=${cases}]==])\n"
                           "set_tests_properties([==[${name}]==] PROPERTIES TIMEOUT ${TIMEOUT}")
      if(LABELS)
        string(APPEND script " LABELS [==[${LABELS}]==]")
      endif()
      string(APPEND script ")\n")
      set(cases "")
      set(count 0)
    endif()
  endmacro()
  foreach(line IN LISTS lines)
    string(REGEX REPLACE " *#.*$" "" line "${line}")
    if(line MATCHES "^([^ ].*)\\.$")
      flush_batch()
      set(suite "${CMAKE_MATCH_1}")
      set(number 0)
    elseif(line MATCHES "^  ([^ ]+)$")
      if(count GREATER 0)
        string(APPEND cases ":")
      endif()
      string(APPEND cases "${suite}.${CMAKE_MATCH_1}")
      math(EXPR count "${count} + 1")
      if(count EQUAL BATCH)
        flush_batch()
      endif()
    endif()
  endforeach()
  flush_batch()
  file(WRITE "${OUT}" "${script}")
  return()
endif()

set(_oras_gtest_batches_script "${CMAKE_CURRENT_LIST_FILE}")

function(oras_gtest_batches target prefix batch timeout)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${target}_batches.cmake")
  add_custom_command(
    TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -D EXE=$<TARGET_FILE:${target}> -D PREFIX=${prefix}
            -D BATCH=${batch} -D TIMEOUT=${timeout} "-D LABELS=${ARGN}" -D OUT=${out}
            -P ${_oras_gtest_batches_script}
    BYPRODUCTS ${out}
    VERBATIM)
  # Before the first build there is nothing to include: a test that says so fails instead.
  set(include "${CMAKE_CURRENT_BINARY_DIR}/${target}_batches_include.cmake")
  file(WRITE "${include}"
       "if(EXISTS [==[${out}]==])\n"
       "  include([==[${out}]==])\n"
       "else()\n"
       "  add_test([==[${target}_NOT_BUILT]==] [==[${target}_NOT_BUILT]==])\n"
       "endif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include}")
endfunction()
