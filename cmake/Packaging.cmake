# What ships besides the programs and libdescovo (their own CMakeLists
# install those): man pages, the fixtures a user starts from, the test
# helpers, and the Debian package of it all (`cmake --build build --target package`).
# The container image's root filesystem is cmake/Image.cmake's (included at the end).

set(DESCOVO_FIXTURES_DIR "${CMAKE_INSTALL_FULL_DATADIR}/descovo/fixtures")

# Man pages: roff written by hand in man/, with the version and paths filled
# in, installed gzipped as Debian wants them.
find_program(GZIP_PROGRAM gzip REQUIRED)
set(DESCOVO_MAN_PAGES descovo-mock descovo descovo-conformance)
set(man_outputs "")
foreach(page ${DESCOVO_MAN_PAGES})
  configure_file("${PROJECT_SOURCE_DIR}/man/${page}.1.in" "${PROJECT_BINARY_DIR}/man/${page}.1" @ONLY)
  add_custom_command(
    OUTPUT "${PROJECT_BINARY_DIR}/man/${page}.1.gz"
    COMMAND "${GZIP_PROGRAM}" -9 -n -c "${PROJECT_BINARY_DIR}/man/${page}.1" > "${PROJECT_BINARY_DIR}/man/${page}.1.gz"
    DEPENDS "${PROJECT_BINARY_DIR}/man/${page}.1"
    VERBATIM)
  list(APPEND man_outputs "${PROJECT_BINARY_DIR}/man/${page}.1.gz")
endforeach()
add_custom_target(descovo-man ALL DEPENDS ${man_outputs})
install(FILES ${man_outputs} DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")

# The fixtures: the default keys and built-in scenarios (compiled in; here
# to start your own --keys-file and --scenario from), and the CLI's job and
# filter files. Not the fuzz corpora.
install(FILES "${PROJECT_SOURCE_DIR}/fixtures/keys.txt" DESTINATION "${CMAKE_INSTALL_DATADIR}/descovo/fixtures")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/fixtures/scenarios" "${PROJECT_SOURCE_DIR}/fixtures/jobs"
                  "${PROJECT_SOURCE_DIR}/fixtures/filters"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/descovo/fixtures")

# The test helpers, one file each to copy or to point at:
# PYTHONPATH=/usr/share/descovo/helpers/python, or import
# /usr/share/descovo/helpers/node/index.js.
install(FILES "${PROJECT_SOURCE_DIR}/helpers/README.md" DESTINATION "${CMAKE_INSTALL_DATADIR}/descovo/helpers")
install(FILES "${PROJECT_SOURCE_DIR}/helpers/python/descovo_mock.py"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/descovo/helpers/python")
install(FILES "${PROJECT_SOURCE_DIR}/helpers/node/index.js" "${PROJECT_SOURCE_DIR}/helpers/node/index.d.ts"
              "${PROJECT_SOURCE_DIR}/helpers/node/package.json"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/descovo/helpers/node")

# The Debian package. Depends come from dpkg-shlibdeps over the installed
# ELF files (libc6, libcurl4, libjansson4, libmicrohttpd12, libcmocka0 on
# Debian 12), so `apt-get install ./descovo_*.deb` pulls them in.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME descovo)
set(CPACK_PACKAGE_VERSION "${DESCOVO_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "offline, stateful simulator of the Descovo Audiences API, with its C client")
set(CPACK_PACKAGE_DESCRIPTION "descovo-mock serves the Descovo Audiences API locally for development and CI:
a synthetic database, credits and quotas, a manual clock, fault injection and
a request journal. Also libdescovo (a C client, shared and static, with
pkg-config), the descovo command-line client and the descovo-conformance
suite.")
set(CPACK_PACKAGING_INSTALL_PREFIX "${CMAKE_INSTALL_PREFIX}")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "The descovo-mock developers")
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# descovo.pc says Requires: jansson, so building against the package needs
# its headers; curl's come with the same line for the static library.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libjansson-dev, libcurl4-openssl-dev | libcurl-dev, pkg-config")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "curl, jq")
# ldconfig runs after install and removal (a shared library is in it).
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
include(CPack)

include("${CMAKE_CURRENT_LIST_DIR}/Image.cmake")
