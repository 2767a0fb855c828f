# mlgate_library(<folder> [PUBLIC deps...])
# One static library per top-level folder, named mlgate_<folder>, built from the folder's *.cpp.
# Dependencies point one way (docs/architecture.md): list only the folders and packages the table allows.
function(mlgate_library folder)
  cmake_parse_arguments(ARG "" "" "PUBLIC" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  set(target mlgate_${folder})
  if(sources)
    add_library(${target} STATIC ${sources})
    target_compile_options(${target} PRIVATE ${MLGATE_SECTION_FLAGS})
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC})
    target_include_directories(${target} PUBLIC ${MLGATE_SOURCE_DIR})
  else()
    add_library(${target} INTERFACE)
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC})
  endif()
endfunction()

# mlgate_precompile(<target> headers...): with MLGATE_PCH, the heavy third-party headers a
# target's sources include are parsed once per target instead of once per file.
function(mlgate_precompile target)
  if(MLGATE_PCH)
    target_precompile_headers(${target} PRIVATE ${ARGN})
  endif()
endfunction()
