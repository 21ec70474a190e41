import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzLabelFile` per input.
Fuzz.run(fuzzLabelFile)
