# The root filesystem of the container image (Containerfile):
# `cmake --build build --target descovo-image-rootfs` fills
# build/image/rootfs; `podman build -f Containerfile build/image` (or docker)
# makes the image of it. ci/image-check.sh does both and runs it.
find_program(READELF_PROGRAM readelf)
find_program(OBJDUMP_PROGRAM objdump)
set(DESCOVO_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt" CACHE FILEPATH
    "CA certificates copied into the container image")
set(DESCOVO_IMAGE_DIR "${PROJECT_BINARY_DIR}/image")
add_custom_target(descovo-image-rootfs
  COMMAND "${CMAKE_COMMAND}" -DEXECUTABLE=$<TARGET_FILE:descovo-mock> -DROOTFS=${DESCOVO_IMAGE_DIR}/rootfs
          -DCA_BUNDLE=${DESCOVO_CA_BUNDLE} -DREADELF=${READELF_PROGRAM} -DOBJDUMP=${OBJDUMP_PROGRAM}
          -DSTRIP=${CMAKE_STRIP} -P "${PROJECT_SOURCE_DIR}/cmake/ImageRootfs.cmake"
  DEPENDS descovo-mock
  COMMENT "Assembling the container image's root filesystem"
  VERBATIM)
