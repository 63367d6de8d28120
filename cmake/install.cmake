# Installation: the library (static or shared, per BUILD_SHARED_LIBS), the public headers, the
# oras-cpp tool, a CMake package (find_package(oras CONFIG) -> oras::oras) and oras.pc.
include(CMakePackageConfigHelpers)

set(ORAS_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/oras)
get_target_property(_oras_type oras TYPE)
# No public header includes OpenSSL, zlib, libarchive or simdjson: a program linking the shared
# library needs none of their .pc files (pkg-config reads Requires.private for --cflags too, so
# listing them there would fail a consumer that has only the runtime libraries). A static
# library brings their symbols undefined: the consumer links them.
if(_oras_type STREQUAL "SHARED_LIBRARY")
  set(ORAS_SHARED TRUE)
  set(ORAS_PC_REQUIRES "")
else()
  set(ORAS_SHARED FALSE)
  set(ORAS_PC_REQUIRES "openssl zlib libarchive simdjson")
endif()

install(TARGETS oras EXPORT oras-targets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/oras
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(TARGETS oras-cpp RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_BINARY_DIR}/oras-cpp.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(EXPORT oras-targets NAMESPACE oras:: DESTINATION ${ORAS_CMAKE_DIR}
        FILE oras-targets.cmake)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/oras-config.cmake.in
                              ${PROJECT_BINARY_DIR}/oras-config.cmake
                              INSTALL_DESTINATION ${ORAS_CMAKE_DIR})
# 0.x: a minor release may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/oras-config-version.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/oras-config.cmake ${PROJECT_BINARY_DIR}/oras-config-version.cmake
        DESTINATION ${ORAS_CMAKE_DIR})

# Relocatable: the prefix is found from where oras.pc lies (`cmake --install --prefix` elsewhere,
# or a .deb's /usr).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(ORAS_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _oras_up "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
  string(REGEX REPLACE "/$" "" _oras_up "${_oras_up}")
  set(ORAS_PC_PREFIX "\${pcfiledir}/${_oras_up}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/oras.pc.in ${PROJECT_BINARY_DIR}/oras.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/oras.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
# The licence, where Debian looks for a package's (share/doc/<package>/copyright) and by its name.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/oras-cpp)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/oras-cpp
        RENAME copyright)

# A Debian package of the same files (`cpack -G DEB` in the build directory, or
# scripts/package.sh): runtime dependencies from dpkg-shlibdeps.
set(CPACK_PACKAGE_NAME "oras-cpp")
set(CPACK_PACKAGE_VENDOR "oras-cpp")
set(CPACK_PACKAGE_CONTACT "oras-cpp maintainers <maintainers@oras-cpp.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# A shared liboras ships in this package: dpkg-shlibdeps must not look for it elsewhere.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS ${PROJECT_BINARY_DIR}/src)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION "devel")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://oras.land")
include(CPack)
