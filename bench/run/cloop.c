/* The plain C loop the batch engine is measured against: one single-threaded libavcodec decoder
 * per worker thread, in one process, each thread taking the next clip in turn and decoding every
 * frame the way FFmpeg's own example does it (doc/examples/demux_decode.c, and what ffmpeg, PyAV
 * and OpenCV do on open): avformat_open_input, avformat_find_stream_info, the best video stream,
 * avcodec_open2 with one thread, av_read_frame / avcodec_send_packet / avcodec_receive_frame to
 * the end, flushed. Nothing of vidmill: the same FFmpeg libraries (the JavaCPP jar's), no
 * libvidmill.
 *
 *   cloop [--workers N] [--no-probe] FILE...
 *     --no-probe   skip avformat_find_stream_info (it decodes a few frames at open where the
 *                  container's header already says enough; a loop written for speed leaves it out)
 * Prints: clips, frames, seconds, frames/s, clips/s, failures. Built by bench/run/run.sh. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>

static char **files;
static int nfiles;
static int probe = 1;
static atomic_int next_file;
static atomic_llong frames_total;
static atomic_int failures;

static long long decode_file(const char *path) {
  AVFormatContext *fmt = NULL;
  AVCodecContext *dec = NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *frame = av_frame_alloc();
  long long frames = -1;
  const AVCodec *codec = NULL;
  if (avformat_open_input(&fmt, path, NULL, NULL) < 0) goto done;
  if (probe && avformat_find_stream_info(fmt, NULL) < 0) goto done;
  int stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream < 0) goto done;
  dec = avcodec_alloc_context3(codec);
  if (!dec || avcodec_parameters_to_context(dec, fmt->streams[stream]->codecpar) < 0) goto done;
  dec->thread_count = 1;
  if (avcodec_open2(dec, codec, NULL) < 0) goto done;
  frames = 0;
  for (;;) {
    int eof = av_read_frame(fmt, pkt) < 0;
    if (!eof && pkt->stream_index != stream) {
      av_packet_unref(pkt);
      continue;
    }
    avcodec_send_packet(dec, eof ? NULL : pkt);
    av_packet_unref(pkt);
    while (avcodec_receive_frame(dec, frame) == 0) {
      frames++;
      av_frame_unref(frame);
    }
    if (eof) break;
  }
done:
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  avformat_close_input(&fmt);
  return frames;
}

static void *worker(void *arg) {
  (void)arg;
  for (int i; (i = atomic_fetch_add(&next_file, 1)) < nfiles;) {
    long long f = decode_file(files[i]);
    if (f < 0) atomic_fetch_add(&failures, 1);
    else atomic_fetch_add(&frames_total, f);
  }
  return NULL;
}

int main(int argc, char **argv) {
  int workers = 2, first = 1;
  while (first < argc && strncmp(argv[first], "--", 2) == 0) {
    if (strcmp(argv[first], "--workers") == 0 && first + 1 < argc) workers = atoi(argv[++first]);
    else if (strcmp(argv[first], "--no-probe") == 0) probe = 0;
    else break;
    first++;
  }
  files = argv + first;
  nfiles = argc - first;
  if (nfiles < 1 || workers < 1 || workers > 256) {
    fprintf(stderr, "usage: cloop [--workers N] [--no-probe] FILE...\n");
    return 2;
  }
  av_log_set_level(AV_LOG_ERROR);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pthread_t threads[256];
  for (int i = 0; i < workers; i++) pthread_create(&threads[i], NULL, worker, NULL);
  for (int i = 0; i < workers; i++) pthread_join(threads[i], NULL);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
  long long frames = atomic_load(&frames_total);
  printf("cloop: %d clips, %lld frames in %.3f s = %.1f frames/s, %.2f clips/s (%d workers, %s, %d failed)\n",
         nfiles, frames, s, frames / s, nfiles / s, workers, probe ? "stream info probed" : "no probing",
         atomic_load(&failures));
  return atomic_load(&failures) != 0;
}
