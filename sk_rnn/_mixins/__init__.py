"""The mixins RNNBase is made of: input encoding, the inference runner, building the
module and net, saving and restoring the net, ``transform`` and ONNX export."""
