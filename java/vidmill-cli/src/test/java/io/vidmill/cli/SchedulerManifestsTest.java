package io.vidmill.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.vidmill.shard.Shard;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * docker/k8s and docker/slurm: the Job manifests are valid batch/v1 Jobs (a strict JSON schema
 * check), their command lines are ones vidmill accepts, the scheduler's variables give every
 * shard exactly once, and the wrappers (run for real, with a stand-in vidmill) pass on exit
 * codes as the schedulers need them.
 */
class SchedulerManifestsTest {
  static final Path DOCKER = Path.of("../../docker").toAbsolutePath().normalize();
  static final YAMLMapper YAML = new YAMLMapper();
  static Schema jobSchema;
  @TempDir static Path tmp;
  static Path fakeVidmill;

  @BeforeAll
  static void setUp() throws IOException {
    jobSchema = strictJobSchema();
    // records its arguments and exits with FAKE_RC: what the wrappers do with vidmill's exit codes
    fakeVidmill = tmp.resolve("bin/vidmill");
    Files.createDirectories(fakeVidmill.getParent());
    Files.writeString(fakeVidmill, "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$FAKE_ARGS\"\nexit \"${FAKE_RC:-0}\"\n");
    Files.setPosixFilePermissions(fakeVidmill, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /**
   * The batch/v1 Job schema that fabric8's Kubernetes model ships (generated from the Go
   * types), made strict the way kubeconform's -strict schemas are (no property outside the
   * schema, so a misspelt field fails), with Quantity and IntOrString as the API writes them
   * (strings or numbers; the Go structs behind them are objects).
   */
  static Schema strictJobSchema() throws IOException {
    ObjectNode doc;
    try (InputStream in = SchedulerManifestsTest.class.getResourceAsStream("/schema/validation-schema.json")) {
      assertNotNull(in, "io.fabric8:kubernetes-model-batch's schema/validation-schema.json on the test classpath");
      doc = (ObjectNode) new ObjectMapper().readTree(in);
    }
    ObjectNode defs = (ObjectNode) doc.get("definitions");
    assertNotNull(defs.get("kubernetes_batch_v1_Job"));
    tighten(defs);
    defs.set("k8s_io_apimachinery_pkg_api_resource_Quantity", YAML.readTree(
        "{type: [string, number], pattern: '^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+|[KMGTPE]i?|[munkMGTPE])?$'}"));
    defs.set("kubernetes_apimachinery_pkg_util_intstr_IntOrString", YAML.readTree("{type: [string, integer]}"));
    ObjectNode root = new ObjectMapper().createObjectNode();
    root.put("$schema", "http://json-schema.org/draft-07/schema#");
    root.put("$ref", "#/definitions/kubernetes_batch_v1_Job");
    root.set("definitions", defs);
    return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7).getSchema(root);
  }

  /** Closes every object schema that lists its properties; drops draft-3 style "required": true. */
  static void tighten(JsonNode node) {
    if (node instanceof ObjectNode o) {
      if (o.path("required").isBoolean()) o.remove("required");
      if (o.has("properties") && o.path("additionalProperties").asBoolean(true) && !o.path("additionalProperties").isObject()) {
        o.put("additionalProperties", false);
      }
      o.forEach(SchedulerManifestsTest::tighten);
    } else if (node != null && node.isArray()) {
      node.forEach(SchedulerManifestsTest::tighten);
    }
  }

  static List<String> schemaErrors(JsonNode job) {
    return jobSchema.validate(job).stream().map(Error::toString).toList();
  }

  static JsonNode job(String file) throws IOException {
    return YAML.readTree(DOCKER.resolve("k8s").resolve(file).toFile());
  }

  static JsonNode container(JsonNode job) {
    JsonNode containers = job.at("/spec/template/spec/containers");
    assertEquals(1, containers.size());
    return containers.get(0);
  }

  static List<String> strings(JsonNode array) {
    List<String> l = new ArrayList<>();
    array.forEach(n -> l.add(n.asText()));
    return l;
  }

  /** The run command vidmill's own parser makes of these arguments (a bad one throws). */
  static RunCommand parseRun(List<String> args) {
    String[] a = args.toArray(String[]::new);
    CommandLine.ParseResult parsed = Main.commandLine(new java.io.PrintWriter(java.io.Writer.nullWriter()),
        new java.io.PrintWriter(java.io.Writer.nullWriter()), a).parseArgs(a);
    assertThat(parsed.hasSubcommand()).as("a subcommand in " + args).isTrue();
    Object command = parsed.subcommand().commandSpec().userObject();
    assertThat(command).isInstanceOf(RunCommand.class);
    return (RunCommand) command;
  }

  @Test
  void theSchemaCheckIsStrict() throws IOException {
    ObjectNode typo = (ObjectNode) job("vidmill-job.yaml").deepCopy();
    ObjectNode spec = (ObjectNode) typo.get("spec");
    spec.set("backoffLimitPerIdx", spec.remove("backoffLimitPerIndex"));
    assertThat(schemaErrors(typo)).anyMatch(e -> e.contains("backoffLimitPerIdx"));
    ObjectNode wrongType = (ObjectNode) job("vidmill-job.yaml").deepCopy();
    ((ObjectNode) wrongType.get("spec")).put("completions", "sixteen");
    assertThat(schemaErrors(wrongType)).anyMatch(e -> e.contains("completions"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"vidmill-job.yaml", "vidmill-job-gpu.yaml"})
  void kubernetesIndexedJobsGiveEveryShardOnceAndResume(String file) throws Exception {
    JsonNode job = job(file);
    assertThat(schemaErrors(job)).isEmpty();
    assertEquals("batch/v1", job.path("apiVersion").asText());
    assertEquals("Job", job.path("kind").asText());
    JsonNode spec = job.get("spec");
    assertEquals("Indexed", spec.path("completionMode").asText());
    int completions = spec.path("completions").asInt();
    assertThat(spec.path("parallelism").asInt()).isBetween(1, completions);
    // a retried pod is a new pod on the same index: it resumes that shard from its journal
    assertThat(spec.path("backoffLimitPerIndex").asInt()).isPositive();
    assertEquals("Never", spec.at("/template/spec/restartPolicy").asText());
    assertThat(spec.at("/template/spec/securityContext/runAsNonRoot").asBoolean()).isTrue();
    assertEquals(10001, spec.at("/template/spec/securityContext/runAsUser").asInt());

    JsonNode c = container(job);
    RunCommand run = parseRun(strings(c.get("args")));
    assertEquals(completions, run.shards, "--shards must equal the Job's completions");
    assertThat(run.shard).as("--shard would pin every pod to one shard").isNull();
    // input and output live on the mounted volumes
    Map<String, String> volumes = new HashMap<>();
    spec.at("/template/spec/volumes").forEach(v -> volumes.put(v.path("name").asText(), v.toString()));
    List<String> mounts = new ArrayList<>();
    for (JsonNode m : c.path("volumeMounts")) {
      assertThat(volumes).containsKey(m.path("name").asText());
      mounts.add(m.path("mountPath").asText());
    }
    for (String p : List.of(run.input, run.out.toString())) {
      assertThat(mounts).as(p + " on a volume").anyMatch(m -> p.startsWith(m + "/"));
    }
    assertThat(volumes.values()).anyMatch(v -> v.contains("persistentVolumeClaim"));

    // every index gets its own shard, and together they are all of them, once
    Map<String, String> env = new HashMap<>();
    c.path("env").forEach(e -> { if (e.has("value")) env.put(e.path("name").asText(), e.path("value").asText()); });
    Set<Integer> shards = new HashSet<>();
    for (int i = 0; i < completions; i++) {
      Map<String, String> pod = new HashMap<>(env);
      pod.put("JOB_COMPLETION_INDEX", String.valueOf(i)); // what Kubernetes sets in an Indexed Job
      Shard s = Shard.fromEnvironment(pod, run.shards).orElseThrow();
      assertEquals(completions, s.count());
      assertThat(shards.add(s.index())).isTrue();
    }
    assertEquals(IntStream.range(0, completions).boxed().collect(java.util.stream.Collectors.toSet()), shards);

    // the wrapper, run for real: 1 (some clips failed) is a finished shard, not a pod to retry
    List<String> command = strings(c.get("command"));
    assertEquals("/bin/bash", command.getFirst());
    List<String> argv = new ArrayList<>(command);
    argv.addAll(strings(c.get("args")));
    assertEquals(0, runWrapper(argv, Map.of("FAKE_RC", "0")));
    assertEquals(0, runWrapper(argv, Map.of("FAKE_RC", "1")));
    assertEquals(3, runWrapper(argv, Map.of("FAKE_RC", "3")));
    assertEquals(strings(c.get("args")), Files.readAllLines(tmp.resolve("args")));
    // ... and 2 (a bad command line) fails its index at once instead of being retried
    JsonNode rule = spec.at("/podFailurePolicy/rules/0");
    assertEquals("FailIndex", rule.path("action").asText());
    assertEquals("2", rule.at("/onExitCodes/values/0").asText());

    if (file.contains("gpu")) {
      assertThat(c.at("/resources/limits/nvidia.com~1gpu").asInt()).isPositive();
      assertThat(env.get("NVIDIA_DRIVER_CAPABILITIES")).contains("video");
      assertThat(c.path("image").asText()).contains("cuda");
    } else {
      assertThat(c.at("/resources/limits").has("nvidia.com/gpu")).isFalse();
    }
  }

  int runWrapper(List<String> argv, Map<String, String> env) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
    pb.environment().put("PATH", fakeVidmill.getParent() + ":" + System.getenv("PATH"));
    pb.environment().put("FAKE_ARGS", tmp.resolve("args").toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getInputStream().readAllBytes();
    return p.waitFor();
  }

  /** The task ids of an sbatch --array value: a-b, a-b%limit, a, or a comma list of these. */
  static List<Integer> arrayIds(String spec) {
    List<Integer> ids = new ArrayList<>();
    for (String part : spec.replaceFirst("%\\d+$", "").split(",")) {
      Matcher m = Pattern.compile("(\\d+)(?:-(\\d+))?").matcher(part);
      assertThat(m.matches()).as("--array " + spec + " (no steps: a-b:s leaves gaps)").isTrue();
      int lo = Integer.parseInt(m.group(1));
      int hi = m.group(2) == null ? lo : Integer.parseInt(m.group(2));
      for (int i = lo; i <= hi; i++) ids.add(i);
    }
    return ids;
  }

  @Test
  void slurmArrayTasksGiveEveryShardOnceAndResumeOnRequeue() throws Exception {
    Path script = DOCKER.resolve("slurm/vidmill-array.sbatch");
    List<String> directives = Files.readAllLines(script).stream().filter(l -> l.startsWith("#SBATCH "))
        .map(l -> l.substring(8).strip()).toList();
    assertThat(directives).contains("--requeue", "--open-mode=append");
    String array = directives.stream().filter(d -> d.startsWith("--array=")).findFirst().orElseThrow().substring(8);
    List<Integer> ids = arrayIds(array);
    int min = ids.stream().min(Integer::compare).orElseThrow();
    int max = ids.stream().max(Integer::compare).orElseThrow();
    assertEquals(max - min + 1, ids.size(), "a contiguous range");

    Set<Integer> shards = new HashSet<>();
    for (int id : ids) {
      // what Slurm sets in each array task
      Map<String, String> env = Map.of("SLURM_ARRAY_TASK_ID", String.valueOf(id), "SLURM_ARRAY_TASK_MIN",
          String.valueOf(min), "SLURM_ARRAY_TASK_MAX", String.valueOf(max), "SLURM_ARRAY_TASK_COUNT",
          String.valueOf(ids.size()));
      Shard s = Shard.fromEnvironment(env, null).orElseThrow();
      assertEquals(ids.size(), s.count());
      assertThat(shards.add(s.index())).isTrue();
    }
    assertEquals(IntStream.range(0, ids.size()).boxed().collect(java.util.stream.Collectors.toSet()), shards);

    // the script, run for real with a stand-in vidmill: the command line, then exit codes
    List<String> argv = List.of("/bin/bash", script.toString());
    Map<String, String> env = Map.of("VIDMILL", fakeVidmill.toString(), "VIDMILL_INPUT", "/shared/m.jsonl",
        "VIDMILL_OUT", "/shared/results", "SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_COUNT", "16");
    assertEquals(0, runWrapper(argv, with(env, "FAKE_RC", "0")));
    RunCommand run = parseRun(Files.readAllLines(tmp.resolve("args")));
    assertEquals("/shared/m.jsonl", run.input);
    assertEquals(Path.of("/shared/results"), run.out);
    assertThat(run.shard).as("the shard comes from the array variables").isNull();
    assertEquals(0, runWrapper(argv, with(env, "FAKE_RC", "1")));
    assertEquals(3, runWrapper(argv, with(env, "FAKE_RC", "3")));
    assertThat(runWrapper(argv, Map.of("VIDMILL", fakeVidmill.toString()))).as("no VIDMILL_INPUT").isNotZero();
  }

  static Map<String, String> with(Map<String, String> m, String k, String v) {
    Map<String, String> c = new HashMap<>(m);
    c.put(k, v);
    return c;
  }
}
