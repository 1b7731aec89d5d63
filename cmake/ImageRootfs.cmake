# Script mode (cmake -P): assembles the root filesystem of the container
# image in ROOTFS: the EXECUTABLE (stripped) at /usr/bin, every shared
# library it loads, at the path the dynamic linker resolves it to, the
# loader at the path the executable names (PT_INTERP), and the CA bundle
# (for HTTPS to an upstream). Nothing else: no shell, no libc tools.
# -DEXECUTABLE=... -DROOTFS=... -DCA_BUNDLE=... -DREADELF=... -DSTRIP=...
foreach(var EXECUTABLE ROOTFS CA_BUNDLE READELF)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "ImageRootfs.cmake: -D${var}= is required")
  endif()
endforeach()
if(NOT EXISTS "${CA_BUNDLE}")
  message(FATAL_ERROR "ImageRootfs.cmake: no CA bundle at ${CA_BUNDLE} (install ca-certificates)")
endif()

file(REMOVE_RECURSE "${ROOTFS}")
file(MAKE_DIRECTORY "${ROOTFS}/usr/bin")

# Copies the file behind path (symlinks followed) to ROOTFS/path.
function(copy_resolved path)
  get_filename_component(dir "${path}" DIRECTORY)
  get_filename_component(name "${path}" NAME)
  file(REAL_PATH "${path}" real)
  file(MAKE_DIRECTORY "${ROOTFS}${dir}")
  file(COPY_FILE "${real}" "${ROOTFS}${dir}/${name}")
endfunction()

get_filename_component(exe_name "${EXECUTABLE}" NAME)
file(COPY_FILE "${EXECUTABLE}" "${ROOTFS}/usr/bin/${exe_name}")
if(DEFINED STRIP AND NOT "${STRIP}" STREQUAL "")
  execute_process(COMMAND "${STRIP}" --strip-unneeded "${ROOTFS}/usr/bin/${exe_name}" COMMAND_ERROR_IS_FATAL ANY)
endif()

# The loader: what the executable asks for, not what a search finds.
execute_process(COMMAND "${READELF}" -l "${EXECUTABLE}" OUTPUT_VARIABLE program_headers COMMAND_ERROR_IS_FATAL ANY)
string(REGEX MATCH "program interpreter: ([^]]+)\\]" _ "${program_headers}")
set(interpreter "${CMAKE_MATCH_1}")
if(interpreter STREQUAL "")
  message(FATAL_ERROR "ImageRootfs.cmake: ${EXECUTABLE} names no program interpreter")
endif()
copy_resolved("${interpreter}")

# The libraries, as the dynamic linker resolves them (DT_NEEDED, RUNPATH and
# the system directories), the loader itself excluded: it is placed above.
set(CMAKE_GET_RUNTIME_DEPENDENCIES_PLATFORM "linux+elf")
set(CMAKE_GET_RUNTIME_DEPENDENCIES_TOOL "objdump")
if(NOT DEFINED OBJDUMP OR "${OBJDUMP}" STREQUAL "")
  set(OBJDUMP objdump)
endif()
set(CMAKE_GET_RUNTIME_DEPENDENCIES_COMMAND "${OBJDUMP}")
get_filename_component(interpreter_name "${interpreter}" NAME)
file(GET_RUNTIME_DEPENDENCIES
  EXECUTABLES "${EXECUTABLE}"
  RESOLVED_DEPENDENCIES_VAR libraries
  UNRESOLVED_DEPENDENCIES_VAR unresolved
  POST_EXCLUDE_REGEXES "/${interpreter_name}$")
if(unresolved)
  message(FATAL_ERROR "ImageRootfs.cmake: cannot resolve ${unresolved}")
endif()
foreach(library ${libraries})
  copy_resolved("${library}")
endforeach()

file(MAKE_DIRECTORY "${ROOTFS}/etc/ssl/certs")
file(REAL_PATH "${CA_BUNDLE}" ca_real)
file(COPY_FILE "${ca_real}" "${ROOTFS}/etc/ssl/certs/ca-certificates.crt")
list(LENGTH libraries n)
message(STATUS "image root filesystem in ${ROOTFS}: ${exe_name}, ${n} libraries, ${interpreter}, CA bundle")
