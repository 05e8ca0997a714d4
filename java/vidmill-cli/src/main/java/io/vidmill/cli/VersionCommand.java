package io.vidmill.cli;

import io.vidmill.nativelib.NativeLibrary;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "version", description = "Prints versions and where the native libraries were loaded from.")
final class VersionCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    var err = spec.commandLine().getErr();
    if (!Main.requireNative(err)) return Main.EXIT_FATAL;
    out.println(NativeLibrary.version());
    out.println("java " + Runtime.version() + " (" + System.getProperty("java.home") + ")");
    for (String step : NativeLibrary.loadingSteps()) out.println("  " + step);
    out.println(io.vidmill.gpu.Cuda.describe());
    return Main.EXIT_OK;
  }
}
