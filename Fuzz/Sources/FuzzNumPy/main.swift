import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzNumPy` per input.
Fuzz.run(fuzzNumPy)
