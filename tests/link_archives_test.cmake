# The programs link libgit2, libpqxx, yaml-cpp, pugixml and ctemplate from their archives
# (cmake/LinkArchives.cmake): `mlgate` must not need their shared objects, or an idle serve maps
# them whole again (docs/bench.md, "idle"). Run by CTest: cmake -DBINARY=<mlgate> -P this file.
find_program(READELF readelf REQUIRED)
execute_process(COMMAND ${READELF} --dynamic ${BINARY} OUTPUT_VARIABLE dynamic RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "readelf --dynamic ${BINARY} failed (${rc})")
endif()
string(REGEX MATCHALL "Shared library: \\[[^]]+\\]" needed "${dynamic}")
if(NOT needed MATCHES "libpq\\.so")
  message(FATAL_ERROR "${BINARY}: no NEEDED entries read (expected libpq among them): ${needed}")
endif()
foreach(library libgit2 libpqxx libyaml-cpp libpugixml libctemplate libmbed libssh2 libhttp_parser)
  if(needed MATCHES "\\[${library}[.-]")
    message(FATAL_ERROR "${BINARY} needs ${library}'s shared object: ${needed}")
  endif()
endforeach()
message(STATUS "${BINARY} links the archives: ${needed}")
