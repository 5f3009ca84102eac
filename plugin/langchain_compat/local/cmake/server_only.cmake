# Passed to llama.cpp's configure step as -DCMAKE_PROJECT_INCLUDE=<this file> by
# langchain_compat.local.build: it runs right after each project() call, and for the
# top-level project it schedules _lcc_server_only() to run once the whole tree is read.
#
# 1. Only llama-server is built: every other target (the CLI, bench, quantize, mtmd-cli,
#    tts...) is taken out of the default build. Targets llama-server links (ggml, llama,
#    llama-common, mtmd, the server libraries) are still built, as its dependencies.
# 2. LANGCHAIN_COMPAT_APP_OPT (e.g. -O1), when set, is appended to the compile options of
#    the request-handling layers (HTTP, JSON, chat templates, argument parsing, multimodal
#    preprocessing) so they compile faster; ggml and llama, where the model's arithmetic
#    runs, keep the release -O3.
if(NOT CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_SOURCE_DIR OR DEFINED _LCC_SERVER_ONLY)
  return()
endif()
set(_LCC_SERVER_ONLY ON)

set(LANGCHAIN_COMPAT_KEEP_TARGET "llama-server" CACHE STRING "the one target built by default")
set(LANGCHAIN_COMPAT_APP_OPT "" CACHE STRING "extra compile option for the server's app layer")
set(LANGCHAIN_COMPAT_APP_TARGETS
    "llama-common;llama-common-base;server-context;llama-server-impl;llama-server;cpp-httplib;mtmd"
    CACHE STRING "targets that get LANGCHAIN_COMPAT_APP_OPT")
set(LANGCHAIN_COMPAT_UNITY_TARGETS "" CACHE STRING "targets compiled as unity (jumbo) sources")
set(LANGCHAIN_COMPAT_UNITY_BATCH "8" CACHE STRING "sources per unity chunk")
# mtmd-helper*.cpp refuse to be compiled next to mtmd's internal headers (an #error)
set(LANGCHAIN_COMPAT_UNITY_SKIP "mtmd-helper" CACHE STRING "regex: sources kept out of unity")

function(_lcc_targets dir out)
  get_property(here DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(sub IN LISTS subdirs)
    _lcc_targets("${sub}" more)
    list(APPEND here ${more})
  endforeach()
  set(${out} "${here}" PARENT_SCOPE)
endfunction()

function(_lcc_server_only)
  _lcc_targets("${CMAKE_SOURCE_DIR}" all_targets)
  if(NOT LANGCHAIN_COMPAT_KEEP_TARGET IN_LIST all_targets)
    message(WARNING "langchain-compat: no target ${LANGCHAIN_COMPAT_KEEP_TARGET}; building all")
    return()
  endif()
  set(excluded 0)
  foreach(t IN LISTS all_targets)
    get_target_property(type ${t} TYPE)
    if(t STREQUAL LANGCHAIN_COMPAT_KEEP_TARGET OR type STREQUAL "INTERFACE_LIBRARY")
      continue()
    endif()
    set_property(TARGET ${t} PROPERTY EXCLUDE_FROM_ALL ON)
    math(EXPR excluded "${excluded} + 1")
  endforeach()
  message(STATUS "langchain-compat: building ${LANGCHAIN_COMPAT_KEEP_TARGET} and what it "
                 "links; ${excluded} other targets left out of the default build")
  if(LANGCHAIN_COMPAT_APP_OPT)
    foreach(t IN LISTS LANGCHAIN_COMPAT_APP_TARGETS)
      if(TARGET ${t})
        set_property(TARGET ${t} APPEND PROPERTY COMPILE_OPTIONS ${LANGCHAIN_COMPAT_APP_OPT})
      endif()
    endforeach()
    message(STATUS "langchain-compat: ${LANGCHAIN_COMPAT_APP_OPT} for ${LANGCHAIN_COMPAT_APP_TARGETS}")
  endif()
  foreach(t IN LISTS LANGCHAIN_COMPAT_UNITY_TARGETS)
    if(TARGET ${t})
      set_target_properties(${t} PROPERTIES UNITY_BUILD ON
                            UNITY_BUILD_BATCH_SIZE ${LANGCHAIN_COMPAT_UNITY_BATCH})
      get_target_property(sources ${t} SOURCES)
      get_target_property(source_dir ${t} SOURCE_DIR)
      foreach(src IN LISTS sources)
        if(LANGCHAIN_COMPAT_UNITY_SKIP AND src MATCHES "${LANGCHAIN_COMPAT_UNITY_SKIP}")
          cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY "${source_dir}")
          set_property(SOURCE "${src}" TARGET_DIRECTORY ${t}
                       PROPERTY SKIP_UNITY_BUILD_INCLUSION ON)
        endif()
      endforeach()
    endif()
  endforeach()
endfunction()

cmake_language(DEFER DIRECTORY "${CMAKE_SOURCE_DIR}" CALL _lcc_server_only)
