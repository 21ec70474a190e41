import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzPNG` per input.
Fuzz.run(fuzzPNG)
