# Installation and the Debian package.
#
#   cmake --install build --prefix DIR   # DIR/bin/pgshift, man pages, completions,
#                                        # DIR/share/pgshift (JSON Schema, examples)
#   cd build && cpack -G DEB             # pgshift_<version>_<arch>.deb, prefix /usr
#
# Checked by tests/package (install into a temporary prefix and plan with the
# installed files; the .deb's file list and dependencies).
include(GNUInstallDirs)

install(TARGETS pgshift RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# One man page per command, from the templates under man/ (the version is
# filled in at configure time), gzipped as Debian installs man pages.
set(PGSHIFT_MAN_PAGES pgshift pgshift-inspect pgshift-plan pgshift-apply pgshift-drift pgshift-lint)
set(man_gz_files)
foreach(page IN LISTS PGSHIFT_MAN_PAGES)
  set(man_page ${PROJECT_BINARY_DIR}/man/${page}.1)
  configure_file(${PROJECT_SOURCE_DIR}/man/${page}.1 ${man_page} @ONLY)
  add_custom_command(OUTPUT ${man_page}.gz
                     COMMAND gzip -9 -n -c ${man_page} > ${man_page}.gz
                     DEPENDS ${man_page} VERBATIM)
  list(APPEND man_gz_files ${man_page}.gz)
endforeach()
add_custom_target(pgshift_man_pages ALL DEPENDS ${man_gz_files})
install(FILES ${man_gz_files} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

install(FILES ${PROJECT_SOURCE_DIR}/completions/pgshift.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME pgshift)
# Debian's zsh looks in /usr/share/zsh/vendor-completions.
install(FILES ${PROJECT_SOURCE_DIR}/completions/_pgshift
        DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions)

install(FILES ${PROJECT_SOURCE_DIR}/schemas/pgshift.schema.json ${PROJECT_SOURCE_DIR}/schemas/FORMAT.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pgshift)
install(FILES ${PROJECT_SOURCE_DIR}/lint/RULES.md DESTINATION ${CMAKE_INSTALL_DATADIR}/pgshift
        RENAME LINT-RULES.md)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/yaml ${PROJECT_SOURCE_DIR}/examples/ci
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pgshift/examples)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME pgshift)
set(CPACK_PACKAGE_VENDOR pgshift)
set(CPACK_PACKAGE_CONTACT "pgshift maintainers <pgshift@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "plan and apply PostgreSQL schema changes that keep traffic flowing")
set(CPACK_PACKAGE_DESCRIPTION
    "pgshift diffs a desired-state YAML against a live PostgreSQL catalog and plans\n"
    "lock-friendly, dependency-ordered steps; it applies them resumably under live\n"
    "traffic and reports drift.")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
# Depends from the binary's shared libraries (dpkg-shlibdeps, from dpkg-dev):
# libpqxx, libpq, libyaml, libjemalloc, fmt, libstdc++, libc.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-client")
include(CPack)
