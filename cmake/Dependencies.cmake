# Dependencies.cmake - every third-party library apiwatch uses, found in one place.
#
# All come from Debian 12 packages (scripts/install-deps installs them). Quirks live here and
# nowhere else: llhttp ships as C sources (node-llhttp) and is built as a static library unless
# a system library is found; nDPI's pkg-config file is used as is.

find_package(PkgConfig REQUIRED)
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
pkg_check_modules(NDPI REQUIRED IMPORTED_TARGET libndpi)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
# jansson reads JSON OpenAPI specs: libyaml (YAML 1.1) refuses valid JSON such as escaped
# surrogate pairs and keys longer than 1024 bytes.
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
find_package(ZLIB REQUIRED)
find_package(Threads REQUIRED)

# llhttp: prefer a system library; else build Debian's node-llhttp sources.
find_library(LLHTTP_SYSTEM_LIB NAMES llhttp)
find_path(LLHTTP_SYSTEM_INCLUDE NAMES llhttp.h PATHS /usr/include /usr/local/include NO_DEFAULT_PATH)
if(LLHTTP_SYSTEM_LIB AND LLHTTP_SYSTEM_INCLUDE)
  add_library(aw_llhttp INTERFACE)
  target_link_libraries(aw_llhttp INTERFACE ${LLHTTP_SYSTEM_LIB})
  target_include_directories(aw_llhttp INTERFACE ${LLHTTP_SYSTEM_INCLUDE})
  message(STATUS "llhttp: system library ${LLHTTP_SYSTEM_LIB}")
else()
  set(LLHTTP_SRC_DIR "/usr/share/llhttp" CACHE PATH "llhttp C sources (Debian node-llhttp)")
  set(LLHTTP_INCLUDE_DIR "/usr/share/include/llhttp" CACHE PATH "llhttp header (Debian node-llhttp)")
  if(NOT EXISTS "${LLHTTP_SRC_DIR}/llhttp.c" OR NOT EXISTS "${LLHTTP_INCLUDE_DIR}/llhttp.h")
    message(FATAL_ERROR "llhttp not found: install Debian's node-llhttp (scripts/install-deps)")
  endif()
  add_library(aw_llhttp STATIC ${LLHTTP_SRC_DIR}/llhttp.c ${LLHTTP_SRC_DIR}/api.c
                               ${LLHTTP_SRC_DIR}/http.c)
  target_include_directories(aw_llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
  # Third-party code: built with its own defaults, never with our warnings-as-errors.
  set_target_properties(aw_llhttp PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)
  target_compile_options(aw_llhttp PRIVATE -w)
  message(STATUS "llhttp: static library from ${LLHTTP_SRC_DIR}")
endif()

# cmocka for unit tests (optional: unit tests are skipped without it).
pkg_check_modules(CMOCKA IMPORTED_TARGET cmocka)
