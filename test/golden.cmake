# golden.cmake - one ctest per capture under test/pcaps, comparing the EVE output with
# test/golden/<capture>.eve.json (scripts/update-golden rewrites them), validating events
# against Suricata's EVE schema when ../shared is present, and checking the TCP flow count
# against tshark on ordinary captures.
find_program(AW_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT AW_PYTHON)
  find_program(AW_PYTHON python3)
endif()
set(AW_EVE_SCHEMA ${CMAKE_SOURCE_DIR}/../shared/eve-schema/suricata-eve-schema.json)

file(GLOB AW_GOLDEN_PCAPS CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/test/pcaps/*.pcap ${CMAKE_SOURCE_DIR}/test/pcaps/*.pcapng
     ${CMAKE_SOURCE_DIR}/test/pcaps/*.pcap.gz)
# The inventory captures hold thousands of calls: test/inventory.py checks them against their
# route truth instead of a golden file.
list(FILTER AW_GOLDEN_PCAPS EXCLUDE REGEX "/inventory-[^/]*$")
foreach(pcap ${AW_GOLDEN_PCAPS})
  get_filename_component(name ${pcap} NAME)
  set(extra_args)
  # tshark's conversation count is the reference only where tshark sees what apiwatch sees:
  # not through tunnels it does not decode the same way, nor on damaged files.
  if(NOT name MATCHES "(corrupt|badhdr|badrec|truncated|vxlan|geneve|gre|erspan|frag|mpls|gap)")
    list(APPEND extra_args --tshark)
  endif()
  add_test(NAME golden.${name}
           COMMAND ${AW_PYTHON} ${CMAKE_SOURCE_DIR}/test/golden.py
                   --apiwatch $<TARGET_FILE:apiwatch> --pcap ${pcap}
                   --expected ${CMAKE_SOURCE_DIR}/test/golden/${name}.eve.json
                   --schema ${AW_EVE_SCHEMA} ${extra_args})
  set_tests_properties(golden.${name} PROPERTIES LABELS golden SKIP_RETURN_CODE 77 TIMEOUT 300)
endforeach()

# Every capture of the third-party corpus replayed without a crash, a sanitizer report or a
# non-zero exit (meaningful in the sanitizer build; skipped when ../shared is absent).
add_test(NAME corpus.replay
         COMMAND ${AW_PYTHON} ${CMAKE_SOURCE_DIR}/test/corpus_replay.py
                 --apiwatch $<TARGET_FILE:apiwatch>
                 --corpus ${CMAKE_SOURCE_DIR}/../shared/corpus)
set_tests_properties(corpus.replay PROPERTIES LABELS corpus SKIP_RETURN_CODE 77 TIMEOUT 1800)

# The command line: errors are one clear line and a non-zero exit.
add_test(NAME cli.errors
         COMMAND ${AW_PYTHON} ${CMAKE_SOURCE_DIR}/test/cli_errors.py
                 --apiwatch $<TARGET_FILE:apiwatch> --pcaps ${CMAKE_SOURCE_DIR}/test/pcaps)
set_tests_properties(cli.errors PROPERTIES LABELS cli TIMEOUT 120)

# Settings, inputs and filters on real captures (test/behaviour.py).
add_test(NAME behaviour.foundation
         COMMAND ${AW_PYTHON} ${CMAKE_SOURCE_DIR}/test/behaviour.py
                 --apiwatch $<TARGET_FILE:apiwatch> --pcaps ${CMAKE_SOURCE_DIR}/test/pcaps)
set_tests_properties(behaviour.foundation PROPERTIES LABELS behaviour TIMEOUT 300)

# Live capture in a private network namespace, stopped by SIGINT (skipped without root).
add_test(NAME live.capture
         COMMAND bash ${CMAKE_SOURCE_DIR}/test/live_capture.sh $<TARGET_FILE:apiwatch>)
set_tests_properties(live.capture PROPERTIES LABELS live SKIP_RETURN_CODE 77 TIMEOUT 120
                     RUN_SERIAL TRUE)

# Endpoint templates and principals on real traffic with known routes (test/inventory.py).
add_test(NAME behaviour.inventory
         COMMAND ${AW_PYTHON} ${CMAKE_SOURCE_DIR}/test/inventory.py
                 --apiwatch $<TARGET_FILE:apiwatch> --pcaps ${CMAKE_SOURCE_DIR}/test/pcaps
                 --apis ${CMAKE_SOURCE_DIR}/scripts/lib/aw-apis.py)
set_tests_properties(behaviour.inventory PROPERTIES LABELS behaviour SKIP_RETURN_CODE 77
                     TIMEOUT 300)
# The inventory files: --inventory, --openapi (validated against the OpenAPI 3.0 rules the
# export relies on), api_endpoint events, caps and budgets (test/inventory_files.py).
add_test(NAME behaviour.inventory_files
         COMMAND ${AW_PYTHON} ${CMAKE_SOURCE_DIR}/test/inventory_files.py
                 --apiwatch $<TARGET_FILE:apiwatch> --pcaps ${CMAKE_SOURCE_DIR}/test/pcaps)
set_tests_properties(behaviour.inventory_files PROPERTIES LABELS behaviour TIMEOUT 300)
# The Redis baseline store against a real redis-server started by the test on a free loopback
# port (skipped when redis-server is not installed; scripts/install-deps --test installs it).
add_test(NAME baseline.redis
         COMMAND ${AW_PYTHON} ${CMAKE_SOURCE_DIR}/test/baseline_redis.py
                 --apiwatch $<TARGET_FILE:apiwatch> --pcaps ${CMAKE_SOURCE_DIR}/test/pcaps)
set_tests_properties(baseline.redis PROPERTIES LABELS redis SKIP_RETURN_CODE 77 TIMEOUT 300)
# Spec drift end to end: --spec on the inventory capture (test/spec_drift.py).
add_test(NAME behaviour.spec_drift
         COMMAND ${AW_PYTHON} ${CMAKE_SOURCE_DIR}/test/spec_drift.py
                 --apiwatch $<TARGET_FILE:apiwatch> --pcaps ${CMAKE_SOURCE_DIR}/test/pcaps
                 --routes ${CMAKE_SOURCE_DIR}/scripts/lib/inventory-routes.json)
set_tests_properties(behaviour.spec_drift PROPERTIES LABELS behaviour SKIP_RETURN_CODE 77
                     TIMEOUT 300)
