/* GPUs, as libvidmill finds them at run time: the CUDA driver (libcuda.so.1), NVDEC's library
 * (libnvcuvid.so.1) and NVML (libnvidia-ml.so.1) are opened with dlopen, never linked, so that
 * the library loads and runs on machines without a GPU or driver (FFmpeg's CUDA hwcontext
 * opens its own handles to the same libraries the same way). Per GPU: its description, the
 * round trip that decides whether it is used, FFmpeg's CUDA device (one per GPU per process,
 * on the device's primary context, which the CUDA runtime of kernels.cu uses too), NVDEC's
 * decoder caps (asked, never a table), NVML's utilization, and the cache of NVDEC decoders
 * kept between clips. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda.h>

#include <libavutil/hwcontext.h>
#include <libavutil/hwcontext_cuda.h>
#include <libavutil/pixdesc.h>

#include "../src/gpu.h"
#include "../src/internal.h"

/* ---- the parts of the driver, NVDEC and NVML APIs used here (their ABI) ---------------- */

typedef CUresult (*cu_init_t)(unsigned int);
typedef CUresult (*cu_count_t)(int *);
typedef CUresult (*cu_get_t)(CUdevice *, int);
typedef CUresult (*cu_name_t)(char *, int, CUdevice);
typedef CUresult (*cu_attr_t)(int *, CUdevice_attribute, CUdevice);
typedef CUresult (*cu_mem_t)(size_t *, CUdevice);
typedef CUresult (*cu_pci_t)(char *, int, CUdevice);
typedef CUresult (*cu_retain_t)(CUcontext *, CUdevice);
typedef CUresult (*cu_push_t)(CUcontext);
typedef CUresult (*cu_pop_t)(CUcontext *);
typedef CUresult (*cu_errstr_t)(CUresult, const char **);

/* cuviddec.h's CUVIDDECODECAPS (NVIDIA Video Codec SDK 11+; older drivers leave nNumNVDECs 0) */
typedef struct vm_cuvid_caps {
  int eCodecType, eChromaFormat;
  unsigned int nBitDepthMinus8;
  unsigned int reserved1[3];
  unsigned char bIsSupported, nNumNVDECs;
  unsigned short nOutputFormatMask;
  unsigned int nMaxWidth, nMaxHeight, nMaxMBCount;
  unsigned short nMinWidth, nMinHeight;
  unsigned char bIsHistogramSupported, nCounterBitDepth;
  unsigned short nMaxHistogramBins;
  unsigned int reserved3[10];
} vm_cuvid_caps;
typedef CUresult (*cuvid_caps_t)(vm_cuvid_caps *);

typedef int nvml_return;
typedef struct nvml_device *nvml_device;
typedef struct {
  unsigned int gpu, memory;
} nvml_utilization;
typedef struct {
  unsigned long long total, free, used;
} nvml_memory;
typedef nvml_return (*nvml_init_t)(void);
typedef nvml_return (*nvml_by_pci_t)(const char *, nvml_device *);
typedef nvml_return (*nvml_dec_util_t)(nvml_device, unsigned int *, unsigned int *);
typedef nvml_return (*nvml_util_t)(nvml_device, nvml_utilization *);
typedef nvml_return (*nvml_mem_t)(nvml_device, nvml_memory *);
typedef const char *(*nvml_errstr_t)(nvml_return);

static struct {
  void *cuda, *cuvid, *nvml;
  cu_init_t init;
  cu_count_t count;
  cu_get_t get;
  cu_name_t name;
  cu_attr_t attr;
  cu_mem_t mem;
  cu_pci_t pci;
  cu_retain_t retain;
  cu_push_t push;
  cu_pop_t pop;
  cu_errstr_t errstr;
  cuvid_caps_t caps;
  nvml_by_pci_t nvml_by_pci;
  nvml_dec_util_t nvml_dec_util;
  nvml_util_t nvml_util;
  nvml_mem_t nvml_mem;
} dl;

/* ---- devices --------------------------------------------------------------------------- */

#define MAX_DEVICES 64
#define MAX_CAPS 48

typedef struct caps_entry {
  int cuvid_codec, depth, chroma;
  int32_t status;
  vm_decoder_caps caps;
} caps_entry;

typedef struct gpu {
  CUdevice dev;
  vm_cuda_device info;
  CUcontext primary;        /* retained once, for the caps queries */
  int probed;
  int32_t probe_status;
  int32_t fallback;         /* VM_FALLBACK_NONE, _NO_GPU or _NO_DECODER after the probe */
  char probe_why[256];
  int kernels;              /* the kernel round trip passed */
  char kernels_why[256];
  AVBufferRef *hw_device;   /* FFmpeg's CUDA device */
  nvml_device nvml;
  caps_entry caps[MAX_CAPS];
  int ncaps;
} gpu;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* probes, caps, FFmpeg devices */
static int ndevices;
static char init_why[256];
static gpu devices[MAX_DEVICES];

static const char *cu_error(CUresult r) {
  const char *s = NULL;
  if (dl.errstr && dl.errstr(r, &s) == CUDA_SUCCESS && s) return s;
  return "unknown CUDA error";
}

static void *sym(void *lib, const char *name, int *missing) {
  void *p = lib ? dlsym(lib, name) : NULL;
  if (!p) *missing = 1;
  return p;
}

static void init_devices(void) {
  dl.cuda = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!dl.cuda) {
    snprintf(init_why, sizeof init_why, "no NVIDIA driver: %s", dlerror());
    return;
  }
  int missing = 0;
  dl.init = (cu_init_t)sym(dl.cuda, "cuInit", &missing);
  dl.count = (cu_count_t)sym(dl.cuda, "cuDeviceGetCount", &missing);
  dl.get = (cu_get_t)sym(dl.cuda, "cuDeviceGet", &missing);
  dl.name = (cu_name_t)sym(dl.cuda, "cuDeviceGetName", &missing);
  dl.attr = (cu_attr_t)sym(dl.cuda, "cuDeviceGetAttribute", &missing);
  dl.mem = (cu_mem_t)sym(dl.cuda, "cuDeviceTotalMem_v2", &missing);
  dl.pci = (cu_pci_t)sym(dl.cuda, "cuDeviceGetPCIBusId", &missing);
  dl.retain = (cu_retain_t)sym(dl.cuda, "cuDevicePrimaryCtxRetain", &missing);
  dl.push = (cu_push_t)sym(dl.cuda, "cuCtxPushCurrent_v2", &missing);
  dl.pop = (cu_pop_t)sym(dl.cuda, "cuCtxPopCurrent_v2", &missing);
  dl.errstr = (cu_errstr_t)sym(dl.cuda, "cuGetErrorString", &missing);
  if (missing) {
    snprintf(init_why, sizeof init_why, "libcuda.so.1 lacks functions vidmill needs (driver too old)");
    return;
  }
  CUresult r = dl.init(0);
  if (r != CUDA_SUCCESS) {
    snprintf(init_why, sizeof init_why, "the CUDA driver did not start: cuInit: %s", cu_error(r));
    return;
  }
  int n = 0;
  r = dl.count(&n);
  if (r != CUDA_SUCCESS || n <= 0) {
    snprintf(init_why, sizeof init_why, "no CUDA device%s%s", r != CUDA_SUCCESS ? ": " : " (CUDA_VISIBLE_DEVICES?)",
             r != CUDA_SUCCESS ? cu_error(r) : "");
    return;
  }
  if (n > MAX_DEVICES) n = MAX_DEVICES;
  /* NVDEC and NVML are optional here: without them a GPU can still be described */
  dl.cuvid = dlopen("libnvcuvid.so.1", RTLD_NOW | RTLD_LOCAL);
  missing = 0;
  dl.caps = (cuvid_caps_t)sym(dl.cuvid, "cuvidGetDecoderCaps", &missing);
  dl.nvml = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (dl.nvml) {
    missing = 0;
    nvml_init_t nvml_init = (nvml_init_t)sym(dl.nvml, "nvmlInit_v2", &missing);
    dl.nvml_by_pci = (nvml_by_pci_t)sym(dl.nvml, "nvmlDeviceGetHandleByPciBusId_v2", &missing);
    dl.nvml_dec_util = (nvml_dec_util_t)sym(dl.nvml, "nvmlDeviceGetDecoderUtilization", &missing);
    dl.nvml_util = (nvml_util_t)sym(dl.nvml, "nvmlDeviceGetUtilizationRates", &missing);
    dl.nvml_mem = (nvml_mem_t)sym(dl.nvml, "nvmlDeviceGetMemoryInfo", &missing);
    if (missing || nvml_init() != 0) dl.nvml_by_pci = NULL;
  }
  for (int i = 0; i < n; i++) {
    gpu *g = &devices[i];
    vm_cuda_device *d = &g->info;
    d->struct_size = sizeof *d;
    d->index = i;
    d->decoders = -1;
    if (dl.get(&g->dev, i) != CUDA_SUCCESS) continue;
    dl.name(d->name, sizeof d->name, g->dev);
    dl.attr(&d->compute_major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, g->dev);
    dl.attr(&d->compute_minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, g->dev);
    dl.attr(&d->multiprocessors, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, g->dev);
    size_t bytes = 0;
    if (dl.mem(&bytes, g->dev) == CUDA_SUCCESS) d->memory_bytes = (int64_t)bytes;
    dl.pci(d->pci_bus_id, sizeof d->pci_bus_id, g->dev);
    d->mig = strstr(d->name, " MIG ") != NULL;
    if (dl.nvml_by_pci && !d->mig && dl.nvml_by_pci(d->pci_bus_id, &g->nvml) != 0) g->nvml = NULL;
  }
  ndevices = n;
}

static void ensure_init(void) {
  vm_library_once();
  pthread_once(&init_once, init_devices);
}

int vm_gpu_built(void) { return 1; }

int32_t vm_cuda_device_count(char *detail, size_t detail_size) {
  ensure_init();
  if (detail && detail_size) vm_strlcpy(detail, ndevices ? "" : init_why, detail_size);
  return ndevices;
}

int32_t vm_cuda_device_get(int32_t index, vm_cuda_device *device) {
  ensure_init();
  if (!device || device->struct_size < sizeof *device || index < 0 || index >= ndevices)
    return VM_ERR_INVALID_ARGUMENT;
  pthread_mutex_lock(&lock);
  *device = devices[index].info;
  pthread_mutex_unlock(&lock);
  return VM_OK;
}

/* ---- decoder caps ------------------------------------------------------------------------ */

static int cuvid_codec_of(enum AVCodecID id) {
  switch (id) {
    case AV_CODEC_ID_MPEG1VIDEO: return 0;
    case AV_CODEC_ID_MPEG2VIDEO: return 1;
    case AV_CODEC_ID_MPEG4: return 2;
    case AV_CODEC_ID_VC1:
    case AV_CODEC_ID_WMV3: return 3;
    case AV_CODEC_ID_H264: return 4;
    case AV_CODEC_ID_MJPEG: return 5;
    case AV_CODEC_ID_HEVC: return 8;
    case AV_CODEC_ID_VP8: return 9;
    case AV_CODEC_ID_VP9: return 10;
    case AV_CODEC_ID_AV1: return 11;
    default: return -1;
  }
}

/* Holds lock. cuvidGetDecoderCaps needs a current context: the primary one, pushed. */
static int32_t caps_locked(gpu *g, int cuvid_codec, int depth, int chroma, vm_decoder_caps *out) {
  for (int i = 0; i < g->ncaps; i++) {
    caps_entry *e = &g->caps[i];
    if (e->cuvid_codec == cuvid_codec && e->depth == depth && e->chroma == chroma) {
      *out = e->caps;
      return e->status;
    }
  }
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  out->decoders = -1;
  int32_t status = VM_OK;
  if (!dl.caps) {
    status = VM_ERR_UNSUPPORTED_CODEC; /* no NVDEC library: nothing decodes */
  } else {
    CUresult r = CUDA_SUCCESS;
    if (!g->primary) r = dl.retain(&g->primary, g->dev);
    if (r == CUDA_SUCCESS) r = dl.push(g->primary);
    if (r == CUDA_SUCCESS) {
      vm_cuvid_caps c;
      memset(&c, 0, sizeof c);
      c.eCodecType = cuvid_codec;
      c.eChromaFormat = chroma;
      c.nBitDepthMinus8 = (unsigned)(depth - 8);
      r = dl.caps(&c);
      CUcontext dummy;
      dl.pop(&dummy);
      if (r == CUDA_SUCCESS) {
        out->supported = c.bIsSupported != 0;
        out->decoders = c.bIsSupported ? (c.nNumNVDECs ? c.nNumNVDECs : -1) : 0;
        out->min_width = c.nMinWidth;
        out->min_height = c.nMinHeight;
        out->max_width = (int32_t)c.nMaxWidth;
        out->max_height = (int32_t)c.nMaxHeight;
        out->max_macroblocks = c.nMaxMBCount;
      }
    }
    if (r != CUDA_SUCCESS) status = VM_ERR_INTERNAL;
  }
  if (g->ncaps < MAX_CAPS) {
    caps_entry *e = &g->caps[g->ncaps++];
    e->cuvid_codec = cuvid_codec;
    e->depth = depth;
    e->chroma = chroma;
    e->status = status;
    e->caps = *out;
  }
  return status;
}

int32_t vm_cuda_decoder_caps(int32_t index, const char *codec, int32_t bit_depth, int32_t chroma_format,
                             vm_decoder_caps *caps) {
  ensure_init();
  if (!caps || caps->struct_size < sizeof *caps || !codec || index < 0 || index >= ndevices || bit_depth < 8 ||
      bit_depth > 16 || chroma_format < 0 || chroma_format > 3)
    return VM_ERR_INVALID_ARGUMENT;
  const AVCodecDescriptor *d = avcodec_descriptor_get_by_name(codec);
  int cc = d ? cuvid_codec_of(d->id) : -1;
  if (cc < 0) return VM_ERR_UNSUPPORTED_CODEC;
  pthread_mutex_lock(&lock);
  int32_t status = caps_locked(&devices[index], cc, bit_depth, chroma_format, caps);
  pthread_mutex_unlock(&lock);
  return status;
}

/* ---- the probe: what decides whether a GPU is used --------------------------------------- */

/* Holds lock. */
static void probe_locked(int index) {
  gpu *g = &devices[index];
  if (g->probed) return;
  g->probed = 1;
  g->fallback = VM_FALLBACK_NO_GPU;
  char why[200] = "";
  char name[16];
  snprintf(name, sizeof name, "%d", index);
  int ret = av_hwdevice_ctx_create(&g->hw_device, AV_HWDEVICE_TYPE_CUDA, name, NULL, AV_CUDA_USE_PRIMARY_CONTEXT);
  if (ret < 0) {
    char err[128];
    vm_format_averror(ret, err, sizeof err);
    snprintf(g->probe_why, sizeof g->probe_why, "FFmpeg cannot open CUDA device %d: %s", index, err);
    g->probe_status = VM_ERR_INTERNAL;
    return;
  }
  /* the kernels are for the frame operations: NVDEC decodes without them */
  g->kernels = vm_gk_cuda_roundtrip(index, why, sizeof why) == 0;
  if (!g->kernels)
    snprintf(g->kernels_why, sizeof g->kernels_why,
             "the CUDA kernels do not run on device %d (%s): frames are downloaded for the CPU's operations", index, why);
  if (!dl.caps) {
    snprintf(g->probe_why, sizeof g->probe_why,
             "no NVDEC: libnvcuvid.so.1 is missing (in a container, NVIDIA_DRIVER_CAPABILITIES must include video)");
    g->probe_status = VM_OK;
    g->fallback = VM_FALLBACK_NO_DECODER;
    g->info.decoders = 0;
    return;
  }
  vm_decoder_caps c;
  int32_t status = caps_locked(g, 4 /* H.264 */, 8, 1 /* 4:2:0 */, &c);
  if (status != VM_OK) {
    snprintf(g->probe_why, sizeof g->probe_why, "NVDEC's decoder caps could not be read on CUDA device %d", index);
    g->probe_status = VM_ERR_INTERNAL;
    return;
  }
  g->probe_status = VM_OK;
  if (!c.supported) {
    char gpu_name[sizeof g->info.name];
    vm_strlcpy(gpu_name, g->info.name, sizeof gpu_name);
    snprintf(g->probe_why, sizeof g->probe_why, "%s has no video decoder engine (NVDEC)", gpu_name);
    g->fallback = VM_FALLBACK_NO_DECODER;
    g->info.decoders = 0;
    return;
  }
  g->info.decoders = c.decoders;
  g->fallback = VM_FALLBACK_NONE;
  if (!g->kernels) vm_strlcpy(g->probe_why, g->kernels_why, sizeof g->probe_why);
}

int vm_gpu_kernels_usable(int index, char *why, size_t why_size) {
  ensure_init();
  if (index < 0 || index >= ndevices) return 0;
  pthread_mutex_lock(&lock);
  probe_locked(index);
  int ok = devices[index].kernels;
  if (!ok) vm_strlcpy(why, devices[index].kernels_why[0] ? devices[index].kernels_why : devices[index].probe_why,
                      why_size);
  pthread_mutex_unlock(&lock);
  return ok;
}

int32_t vm_cuda_probe(int32_t index, char *detail, size_t detail_size) {
  ensure_init();
  if (index < 0 || index >= ndevices) {
    if (detail && detail_size)
      snprintf(detail, detail_size, "%s", ndevices ? "no such CUDA device" : init_why);
    return VM_ERR_INVALID_ARGUMENT;
  }
  pthread_mutex_lock(&lock);
  probe_locked(index);
  int32_t status = devices[index].probe_status;
  if (detail && detail_size) vm_strlcpy(detail, devices[index].probe_why, detail_size);
  pthread_mutex_unlock(&lock);
  return status;
}

int32_t vm_gpu_usable(int index, char *why, size_t why_size) {
  ensure_init();
  if (index < 0 || index >= ndevices) {
    snprintf(why, why_size, "%s", ndevices ? "no such CUDA device" : init_why);
    return VM_FALLBACK_NO_GPU;
  }
  pthread_mutex_lock(&lock);
  probe_locked(index);
  gpu *g = &devices[index];
  int32_t fallback = g->probe_status != VM_OK ? VM_FALLBACK_NO_GPU : g->fallback;
  if (fallback != VM_FALLBACK_NONE) vm_strlcpy(why, g->probe_why, why_size);
  pthread_mutex_unlock(&lock);
  return fallback;
}

AVBufferRef *vm_gpu_device_ref(int index) {
  ensure_init();
  if (index < 0 || index >= ndevices) return NULL;
  pthread_mutex_lock(&lock);
  probe_locked(index);
  AVBufferRef *r = devices[index].hw_device ? av_buffer_ref(devices[index].hw_device) : NULL;
  pthread_mutex_unlock(&lock);
  return r;
}

static const char *chroma_name(int chroma) {
  static const char *names[] = {"monochrome", "4:2:0", "4:2:2", "4:4:4"};
  return chroma >= 0 && chroma < 4 ? names[chroma] : "?";
}

int32_t vm_gpu_check_stream(int index, enum AVCodecID codec, int sw_pix_fmt, int coded_width, int coded_height,
                            char *why, size_t why_size) {
  const AVPixFmtDescriptor *d = av_pix_fmt_desc_get((enum AVPixelFormat)sw_pix_fmt);
  const char *cname = avcodec_get_name(codec);
  if (!d) {
    snprintf(why, why_size, "UNSUPPORTED: %s in an unknown pixel format", cname);
    return VM_FALLBACK_UNSUPPORTED;
  }
  const int depth = d->comp[0].depth;
  const int chroma = d->nb_components < 3 ? 0
                     : d->log2_chroma_w == 1 && d->log2_chroma_h == 1 ? 1
                     : d->log2_chroma_w == 1 && d->log2_chroma_h == 0 ? 2
                     : d->log2_chroma_w == 0 && d->log2_chroma_h == 0 ? 3 : -1;
  /* FFmpeg 7.1's nvdec hwaccel outputs 4:2:0 (NV12, P010, P016), and 4:4:4 for HEVC only: a
   * 4:2:2 or monochrome stream, or 4:4:4 of another codec, would come out as 4:2:0 */
  if (vm_gpu_surface_format(sw_pix_fmt, codec == AV_CODEC_ID_HEVC) < 0) {
    snprintf(why, why_size, "UNSUPPORTED: %d-bit %s %s (%s): FFmpeg 7.1's NVDEC output has no such format", depth,
             chroma_name(chroma), cname, d->name);
    return VM_FALLBACK_UNSUPPORTED;
  }
  vm_decoder_caps c = {.struct_size = sizeof c};
  pthread_mutex_lock(&lock);
  int32_t status = caps_locked(&devices[index], cuvid_codec_of(codec), depth, chroma, &c);
  const char *gpu_name = devices[index].info.name;
  pthread_mutex_unlock(&lock);
  if (status != VM_OK) {
    snprintf(why, why_size, "GPU_ERROR: NVDEC's decoder caps could not be read");
    return VM_FALLBACK_GPU_ERROR;
  }
  if (!c.supported) {
    snprintf(why, why_size, "UNSUPPORTED: %s's NVDEC does not decode %d-bit %s %s", gpu_name, depth,
             chroma_name(chroma), cname);
    return VM_FALLBACK_UNSUPPORTED;
  }
  if (coded_width < c.min_width || coded_height < c.min_height || coded_width > c.max_width ||
      coded_height > c.max_height || (int64_t)coded_width * coded_height / 256 > c.max_macroblocks) {
    snprintf(why, why_size, "UNSUPPORTED: %dx%d %s is outside %s's NVDEC range %dx%d .. %dx%d (%" PRId64
             " macroblocks)", coded_width, coded_height, cname, gpu_name, c.min_width, c.min_height, c.max_width,
             c.max_height, c.max_macroblocks);
    return VM_FALLBACK_UNSUPPORTED;
  }
  return VM_FALLBACK_NONE;
}

/* ---- NVML -------------------------------------------------------------------------------- */

int32_t vm_cuda_utilization_get(int32_t index, vm_cuda_utilization *u) {
  ensure_init();
  if (!u || u->struct_size < sizeof *u || index < 0 || index >= ndevices) return VM_ERR_INVALID_ARGUMENT;
  memset(u, 0, sizeof *u);
  u->struct_size = sizeof *u;
  u->decoder_percent = u->sm_percent = u->memory_percent = -1;
  u->memory_used_bytes = -1;
  u->memory_total_bytes = devices[index].info.memory_bytes;
  nvml_device h = devices[index].nvml;
  if (!h) return VM_OK;
  unsigned int util = 0, period = 0;
  if (dl.nvml_dec_util(h, &util, &period) == 0) u->decoder_percent = (int32_t)util;
  nvml_utilization r;
  if (dl.nvml_util(h, &r) == 0) {
    u->sm_percent = (int32_t)r.gpu;
    u->memory_percent = (int32_t)r.memory;
  }
  nvml_memory m;
  if (dl.nvml_mem(h, &m) == 0) {
    u->memory_used_bytes = (int64_t)m.used;
    u->memory_total_bytes = (int64_t)m.total;
  }
  return VM_OK;
}

/* ---- the decoder cache -------------------------------------------------------------------- */

/* Idle decoders kept per GPU: each holds NVDEC's surfaces and a pool of output frames (tens
 * of MB at 1080p); VIDMILL_GPU_DECODER_CACHE overrides. */
#define DEFAULT_CACHE_PER_DEVICE 8

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static vm_gpu_decoder *cache; /* most recently given first */

static int cache_limit(void) {
  static atomic_int limit = -1;
  int l = atomic_load(&limit);
  if (l < 0) {
    const char *env = getenv("VIDMILL_GPU_DECODER_CACHE");
    l = env && *env ? atoi(env) : DEFAULT_CACHE_PER_DEVICE;
    if (l < 0) l = 0;
    atomic_store(&limit, l);
  }
  return l;
}

static int same_rational(AVRational a, AVRational b) { return a.num == b.num && a.den == b.den; }

/* Everything avcodec_parameters_to_context gives a video decoder that can change its output. */
static int same_stream(const AVCodecParameters *a, const AVCodecParameters *b) {
  return a->codec_id == b->codec_id && a->codec_tag == b->codec_tag && a->format == b->format &&
         a->profile == b->profile && a->level == b->level && a->width == b->width && a->height == b->height &&
         same_rational(a->sample_aspect_ratio, b->sample_aspect_ratio) && same_rational(a->framerate, b->framerate) &&
         a->field_order == b->field_order && a->color_range == b->color_range &&
         a->color_primaries == b->color_primaries && a->color_trc == b->color_trc && a->color_space == b->color_space &&
         a->chroma_location == b->chroma_location && a->video_delay == b->video_delay &&
         a->bits_per_coded_sample == b->bits_per_coded_sample && a->bits_per_raw_sample == b->bits_per_raw_sample &&
         a->extradata_size == b->extradata_size &&
         (a->extradata_size == 0 || memcmp(a->extradata, b->extradata, (size_t)a->extradata_size) == 0);
}

vm_gpu_decoder *vm_gpu_decoder_new(int device, const AVCodec *codec, const AVCodecParameters *par) {
  vm_gpu_decoder *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->device = device;
  d->codec = codec;
  d->key = avcodec_parameters_alloc();
  if (!d->key || avcodec_parameters_copy(d->key, par) < 0) {
    avcodec_parameters_free(&d->key);
    free(d);
    return NULL;
  }
  return d;
}

vm_gpu_decoder *vm_gpu_decoder_take(int device, const AVCodec *codec, const AVCodecParameters *par) {
  pthread_mutex_lock(&cache_lock);
  vm_gpu_decoder **p = &cache, *found = NULL;
  for (; *p; p = &(*p)->next) {
    if ((*p)->device == device && (*p)->codec == codec && same_stream((*p)->key, par)) {
      found = *p;
      *p = found->next;
      found->next = NULL;
      break;
    }
  }
  pthread_mutex_unlock(&cache_lock);
  return found;
}

void vm_gpu_decoder_free(vm_gpu_decoder *d) {
  if (!d) return;
  avcodec_free_context(&d->dec);
  vm_gpu_work_free(d->work);
  avcodec_parameters_free(&d->key);
  free(d);
}

void vm_gpu_decoder_give(vm_gpu_decoder *d) {
  if (!d) return;
  const int limit = cache_limit();
  if (limit == 0) {
    vm_gpu_decoder_free(d);
    return;
  }
  avcodec_flush_buffers(d->dec);
  pthread_mutex_lock(&cache_lock);
  d->next = cache;
  cache = d;
  /* beyond the limit for this device: the least recently given goes */
  vm_gpu_decoder *evict = NULL;
  int kept = 0;
  for (vm_gpu_decoder **p = &cache; *p;) {
    if ((*p)->device == d->device && ++kept > limit) {
      evict = *p;
      *p = evict->next;
      break;
    }
    p = &(*p)->next;
  }
  pthread_mutex_unlock(&cache_lock);
  vm_gpu_decoder_free(evict);
}
