import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzTorchLegacy` per input.
Fuzz.run(fuzzTorchLegacy)
