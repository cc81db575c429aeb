"""The file formats: what a saved model holds, how older files are upgraded, the checks
of what a file may hold, and the ONNX file's header (torch-free: the runtime reads it)."""
