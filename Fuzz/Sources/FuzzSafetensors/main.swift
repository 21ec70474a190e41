import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzSafetensors` per input.
Fuzz.run(fuzzSafetensors)
