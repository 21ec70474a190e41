import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzVerdicts` per input.
Fuzz.run(fuzzVerdicts)
