# FFmpeg for libvidmill: the shared libraries of the org.bytedeco:ffmpeg (JavaCPP preset) jar
# that Maven downloads, and headers of the same FFmpeg version.
#
# Inputs (cache variables):
#   FFMPEG_LIB_DIR      directory holding libavcodec.so.61 & co. (Maven unpacks the jar there)
#   FFMPEG_JAR          or: the org.bytedeco:ffmpeg:<ver>:linux-x86_64 jar, unpacked here
#   FFMPEG_INCLUDE_DIR  FFmpeg 7.1 headers; default: fetched from Debian by ffmpeg-headers.sh
#                       into FFMPEG_HEADERS_CACHE
#
# Result: imported targets FFmpeg::avutil, FFmpeg::avcodec, FFmpeg::avformat, FFmpeg::avfilter,
# FFmpeg::swscale,
# and FFMPEG_RUNTIME_DIR, a directory where every library can be found under its SONAME
# (the jar names libva "libva.so", while libavutil asks for "libva.so.2").

set(FFMPEG_AVUTIL_MAJOR 59)
set(FFMPEG_AVCODEC_MAJOR 61)
set(FFMPEG_AVFORMAT_MAJOR 61)
set(FFMPEG_AVFILTER_MAJOR 10)
set(FFMPEG_SWSCALE_MAJOR 8)

set(FFMPEG_LIB_DIR "" CACHE PATH "Directory with the FFmpeg shared libraries of the JavaCPP jar")
set(FFMPEG_JAR "" CACHE FILEPATH "The org.bytedeco:ffmpeg linux-x86_64 jar (alternative to FFMPEG_LIB_DIR)")
set(FFMPEG_INCLUDE_DIR "" CACHE PATH "FFmpeg 7.1 headers (default: fetched from Debian trixie)")
if(DEFINED ENV{XDG_CACHE_HOME})
  set(_vm_cache "$ENV{XDG_CACHE_HOME}")
else()
  set(_vm_cache "$ENV{HOME}/.cache")
endif()
set(FFMPEG_HEADERS_CACHE "${_vm_cache}/vidmill/ffmpeg-7.1-headers" CACHE PATH
    "Where ffmpeg-headers.sh keeps the headers it fetched")

# ---- libraries ----------------------------------------------------------------------------
if(NOT FFMPEG_LIB_DIR AND FFMPEG_JAR)
  set(_unpacked "${CMAKE_BINARY_DIR}/ffmpeg-jar")
  if(NOT EXISTS "${_unpacked}/.complete")
    file(MAKE_DIRECTORY "${_unpacked}")
    execute_process(COMMAND ${CMAKE_COMMAND} -E tar xf "${FFMPEG_JAR}"
                    WORKING_DIRECTORY "${_unpacked}" RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
      message(FATAL_ERROR "cannot unpack ${FFMPEG_JAR}")
    endif()
    file(TOUCH "${_unpacked}/.complete")
  endif()
  file(GLOB_RECURSE _avcodec "${_unpacked}/libavcodec.so.*")
  list(GET _avcodec 0 _avcodec)
  get_filename_component(_dir "${_avcodec}" DIRECTORY)
  set(FFMPEG_LIB_DIR "${_dir}" CACHE PATH "" FORCE)
endif()
if(NOT FFMPEG_LIB_DIR OR NOT EXISTS "${FFMPEG_LIB_DIR}/libavcodec.so.${FFMPEG_AVCODEC_MAJOR}")
  message(FATAL_ERROR
    "FFmpeg libraries not found: set FFMPEG_LIB_DIR to the unpacked org.bytedeco:ffmpeg "
    "linux-x86_64 jar directory holding libavcodec.so.${FFMPEG_AVCODEC_MAJOR}, or FFMPEG_JAR to the jar "
    "(the Maven build does this for you).")
endif()

set(FFMPEG_RUNTIME_DIR "${CMAKE_BINARY_DIR}/ffmpeg-runtime")
file(MAKE_DIRECTORY "${FFMPEG_RUNTIME_DIR}")
file(GLOB _libs "${FFMPEG_LIB_DIR}/lib*.so*")
find_program(READELF readelf)
foreach(_lib IN LISTS _libs)
  get_filename_component(_name "${_lib}" NAME)
  if(_name MATCHES "^libjni")
    continue()
  endif()
  file(CREATE_LINK "${_lib}" "${FFMPEG_RUNTIME_DIR}/${_name}" SYMBOLIC)
  if(READELF)
    execute_process(COMMAND ${READELF} -d "${_lib}" OUTPUT_VARIABLE _dyn ERROR_QUIET)
    if(_dyn MATCHES "Library soname: \\[([^]]+)\\]")
      set(_soname "${CMAKE_MATCH_1}")
      if(NOT _soname STREQUAL _name)
        file(CREATE_LINK "${_lib}" "${FFMPEG_RUNTIME_DIR}/${_soname}" SYMBOLIC)
      endif()
    endif()
  endif()
endforeach()

# ---- headers ------------------------------------------------------------------------------
if(NOT FFMPEG_INCLUDE_DIR)
  execute_process(
    COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/ffmpeg-headers.sh" "${FFMPEG_HEADERS_CACHE}"
    RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "Could not fetch FFmpeg 7.1 headers (see above). "
                        "Pass -DFFMPEG_INCLUDE_DIR=<dir with libavcodec/avcodec.h> instead.")
  endif()
  set(FFMPEG_INCLUDE_DIR "${FFMPEG_HEADERS_CACHE}/include")
endif()

function(_vm_check_major lib macro expected)
  set(_h "${FFMPEG_INCLUDE_DIR}/lib${lib}/version_major.h")
  if(NOT EXISTS "${_h}")
    set(_h "${FFMPEG_INCLUDE_DIR}/lib${lib}/version.h")
  endif()
  if(NOT EXISTS "${_h}")
    message(FATAL_ERROR "${_h} not found: FFMPEG_INCLUDE_DIR is not an FFmpeg 7.1 include directory")
  endif()
  file(STRINGS "${_h}" _line REGEX "#define ${macro}_VERSION_MAJOR ")
  string(REGEX REPLACE ".*MAJOR +([0-9]+).*" "\\1" _major "${_line}")
  if(NOT _major EQUAL expected)
    message(FATAL_ERROR "FFmpeg headers in ${FFMPEG_INCLUDE_DIR} have lib${lib} major ${_major}; "
                        "the JavaCPP libraries are major ${expected} (FFmpeg 7.1)")
  endif()
endfunction()
_vm_check_major(avutil LIBAVUTIL ${FFMPEG_AVUTIL_MAJOR})
_vm_check_major(avcodec LIBAVCODEC ${FFMPEG_AVCODEC_MAJOR})
_vm_check_major(avformat LIBAVFORMAT ${FFMPEG_AVFORMAT_MAJOR})
_vm_check_major(avfilter LIBAVFILTER ${FFMPEG_AVFILTER_MAJOR})
_vm_check_major(swscale LIBSWSCALE ${FFMPEG_SWSCALE_MAJOR})

foreach(_pair avutil:${FFMPEG_AVUTIL_MAJOR} avcodec:${FFMPEG_AVCODEC_MAJOR}
              avformat:${FFMPEG_AVFORMAT_MAJOR} avfilter:${FFMPEG_AVFILTER_MAJOR}
              swscale:${FFMPEG_SWSCALE_MAJOR})
  string(REPLACE ":" ";" _pair "${_pair}")
  list(GET _pair 0 _name)
  list(GET _pair 1 _major)
  if(NOT TARGET FFmpeg::${_name})
    add_library(FFmpeg::${_name} SHARED IMPORTED)
    set_target_properties(FFmpeg::${_name} PROPERTIES
      IMPORTED_LOCATION "${FFMPEG_RUNTIME_DIR}/lib${_name}.so.${_major}"
      IMPORTED_SONAME "lib${_name}.so.${_major}"
      INTERFACE_INCLUDE_DIRECTORIES "${FFMPEG_INCLUDE_DIR}")
  endif()
endforeach()
message(STATUS "FFmpeg: libraries ${FFMPEG_LIB_DIR}, headers ${FFMPEG_INCLUDE_DIR}")
