# Memory at rest, part two: the libraries Debian also ships as static archives (libgit2 with
# mbedTLS, libssh2 and http-parser; libpqxx; yaml-cpp; pugixml; ctemplate) are linked into the
# programs instead of being loaded as shared objects. A shared object is mapped whole and the kernel
# maps its code in 64 KiB windows around every page touched, so an idle `mlgate serve` kept most of
# each of those libraries resident; linked in, only the functions it calls come along, and the
# start-up ones sit with the others (cmake/startup-order.txt). docs/bench.md ("idle").
#
# Each dependency is an INTERFACE target, mlgate_dep_<name>, that the folders link to. Without an
# archive (or with MLGATE_LINK_ARCHIVES=OFF) it is the shared library, as before. libpq, OpenSSL,
# spdlog, fmt and cpp-httplib stay shared: Debian has no archive of them that links on its own
# (libpq.a needs PostgreSQL's server-side libpgcommon/libpgport).
option(MLGATE_LINK_ARCHIVES "Link libgit2, libpqxx, yaml-cpp, pugixml and ctemplate from their static archives" ON)
# ON while every dependency below comes from its archives (tests/link_archives_test.cmake checks the
# binary then); mlgate_dependency turns it OFF on a shared fallback.
set(MLGATE_LINK_ARCHIVES_ALL ${MLGATE_LINK_ARCHIVES})

# mlgate_archive(<var> <file name>): the archive's path in <var>, or empty when it is missing or
# archives are off.
function(mlgate_archive var file)
  set(${var} "" PARENT_SCOPE)
  if(MLGATE_LINK_ARCHIVES)
    find_library(MLGATE_ARCHIVE_${file} NAMES ${file} NO_CACHE)
    if(MLGATE_ARCHIVE_${file})
      set(${var} ${MLGATE_ARCHIVE_${file}} PARENT_SCOPE)
    endif()
  endif()
endfunction()

# mlgate_dependency(<name> SHARED <target> ARCHIVES <file>... [WITH <link item>...]): the INTERFACE
# target mlgate_dep_<name>, linked from every archive when all of them exist (with the WITH items
# after them: what the archives need), else from the shared <target>.
function(mlgate_dependency name)
  cmake_parse_arguments(ARG "" "SHARED" "ARCHIVES;WITH" ${ARGN})
  set(paths "")
  foreach(file IN LISTS ARG_ARCHIVES)
    mlgate_archive(path ${file})
    if(NOT path)
      set(paths "")
      break()
    endif()
    list(APPEND paths ${path})
  endforeach()
  add_library(mlgate_dep_${name} INTERFACE)
  if(paths)
    get_target_property(includes ${ARG_SHARED} INTERFACE_INCLUDE_DIRECTORIES)
    list(REMOVE_ITEM includes /usr/include)
    if(includes)
      target_include_directories(mlgate_dep_${name} SYSTEM INTERFACE ${includes})
    endif()
    get_target_property(options ${ARG_SHARED} INTERFACE_COMPILE_OPTIONS)
    if(options)
      target_compile_options(mlgate_dep_${name} INTERFACE ${options})
    endif()
    target_link_libraries(mlgate_dep_${name} INTERFACE ${paths} ${ARG_WITH})
    message(STATUS "mlgate: ${name} linked from ${paths}")
  else()
    target_link_libraries(mlgate_dep_${name} INTERFACE ${ARG_SHARED})
    message(STATUS "mlgate: ${name} linked shared (${ARG_SHARED})")
    set(MLGATE_LINK_ARCHIVES_ALL OFF PARENT_SCOPE)
  endif()
endfunction()

# libgit2's negotiate authentication calls GSSAPI, which its pkg-config file leaves out; libpq loads
# the same library. Debian has no unversioned link name for it without libkrb5-dev. Without it,
# libgit2 stays shared.
find_library(MLGATE_GSSAPI NAMES gssapi_krb5 libgssapi_krb5.so.2)
find_package(ZLIB REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
if(MLGATE_GSSAPI)
  mlgate_dependency(git2 SHARED PkgConfig::LIBGIT2
    ARCHIVES libgit2.a libmbedtls.a libmbedx509.a libmbedcrypto.a libhttp_parser.a libssh2.a
    WITH PkgConfig::PCRE2 ZLIB::ZLIB OpenSSL::SSL OpenSSL::Crypto ${MLGATE_GSSAPI} Threads::Threads rt)
else()
  mlgate_dependency(git2 SHARED PkgConfig::LIBGIT2)
endif()
mlgate_dependency(pqxx SHARED PkgConfig::PQXX ARCHIVES libpqxx.a WITH PkgConfig::LIBPQ)
mlgate_dependency(yaml_cpp SHARED yaml-cpp ARCHIVES libyaml-cpp.a)
mlgate_dependency(pugixml SHARED pugixml::pugixml ARCHIVES libpugixml.a)
mlgate_dependency(ctemplate SHARED PkgConfig::CTEMPLATE ARCHIVES libctemplate.a WITH Threads::Threads)
