import FuzzSupport

// libFuzzer parses its flags from the command line and calls `fuzzTorchZip` per input.
Fuzz.run(fuzzTorchZip)
