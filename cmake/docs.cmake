# The API reference (Doxygen from Debian's `doxygen` package): target `docs`, and a test that
# fails on any Doxygen warning (an undocumented public symbol, a malformed comment).
find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
  message(STATUS "oras: doxygen not found, no `docs` target")
  return()
endif()
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/docs)
configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${PROJECT_BINARY_DIR}/Doxyfile @ONLY)
add_custom_target(docs
                  COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/Doxyfile
                  WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
                  COMMENT "API reference: ${PROJECT_BINARY_DIR}/docs/html/index.html"
                  VERBATIM)
if(ORAS_BUILD_TESTS AND NOT ORAS_SANITIZE)
  add_test(NAME docs.api_reference_without_warnings
           COMMAND Doxygen::doxygen ${PROJECT_BINARY_DIR}/Doxyfile
           WORKING_DIRECTORY ${PROJECT_BINARY_DIR})
endif()
