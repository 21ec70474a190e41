import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzUnpickler` per input.
Fuzz.run(fuzzUnpickler)
