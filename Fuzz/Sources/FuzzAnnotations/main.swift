import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzAnnotations` per input.
Fuzz.run(fuzzAnnotations)
