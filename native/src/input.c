/* The bytes of a clip, from a file descriptor or a caller-owned buffer, behind one
 * AVIOContext. Owning the I/O lets us refuse what is not a regular file before FFmpeg sees
 * it (a FIFO would block, a directory fails late), count the bytes the demuxer consumed, and
 * notice when a container points past the end of the data: the mark of a truncated file. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavutil/mem.h>

#include "internal.h"

#define VM_IO_BUFFER_SIZE (64 * 1024)

int vm_input_open_file(vm_input *in, const char *path, char *err, size_t err_size) {
  memset(in, 0, sizeof *in);
  in->fd = -1;
  /* O_NONBLOCK: opening a FIFO without a writer must not block; it is refused below. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    snprintf(err, err_size, "%s", strerror(e));
    if (e == ENOENT || e == ENOTDIR || e == ENAMETOOLONG) return VM_ERR_NOT_FOUND;
    if (e == EACCES || e == EPERM) return VM_ERR_PERMISSION_DENIED;
    return VM_ERR_IO;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0) {
    snprintf(err, err_size, "%s", strerror(errno));
    close(fd);
    return VM_ERR_IO;
  }
  if (S_ISDIR(sb.st_mode)) {
    snprintf(err, err_size, "is a directory, not a file");
    close(fd);
    return VM_ERR_IO;
  }
  if (!S_ISREG(sb.st_mode)) {
    snprintf(err, err_size, "not a regular file (a device, FIFO or socket)");
    close(fd);
    return VM_ERR_IO;
  }
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  (void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  in->fd = fd;
  in->size = sb.st_size;
  return VM_OK;
}

void vm_input_open_memory(vm_input *in, const uint8_t *data, int64_t size) {
  memset(in, 0, sizeof *in);
  in->fd = -1;
  in->data = data;
  in->size = size;
}

static int read_packet(void *opaque, uint8_t *buf, int size) {
  vm_input *in = opaque;
  if (size <= 0) return 0;
  if (in->pos >= in->size) return AVERROR_EOF;
  int64_t left = in->size - in->pos;
  int n = left < size ? (int)left : size;
  if (in->data) {
    memcpy(buf, in->data + in->pos, (size_t)n);
  } else {
    ssize_t got;
    do {
      got = pread(in->fd, buf, (size_t)n, in->pos);
    } while (got < 0 && errno == EINTR);
    if (got < 0) {
      in->io_errno = errno;
      return AVERROR(errno);
    }
    if (got == 0) return AVERROR_EOF; /* the file shrank under us */
    n = (int)got;
  }
  in->pos += n;
  in->bytes_read += n;
  return n;
}

static int64_t seek(void *opaque, int64_t offset, int whence) {
  vm_input *in = opaque;
  int64_t target;
  switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return in->size;
    case SEEK_SET: target = offset; break;
    case SEEK_CUR: target = in->pos + offset; break;
    case SEEK_END: target = in->size + offset; break;
    default: return AVERROR(EINVAL);
  }
  if (target < 0) return AVERROR(EINVAL);
  /* Like lseek, a position past the end is allowed (reads there see EOF), but noted. */
  if (target > in->size) in->past_eof = 1;
  in->pos = target;
  return target;
}

AVIOContext *vm_input_avio(vm_input *in) {
  uint8_t *buffer = av_malloc(VM_IO_BUFFER_SIZE);
  if (!buffer) return NULL;
  AVIOContext *avio = avio_alloc_context(buffer, VM_IO_BUFFER_SIZE, 0, in, read_packet, NULL, seek);
  if (!avio) av_free(buffer);
  return avio;
}

void vm_input_close(vm_input *in) {
  if (in->fd >= 0) close(in->fd);
  in->fd = -1;
}

int64_t vm_input_pread(vm_input *in, int64_t offset, void *buf, int64_t size) {
  if (offset < 0 || offset >= in->size || size <= 0) return 0;
  if (size > in->size - offset) size = in->size - offset;
  if (in->data) {
    memcpy(buf, in->data + offset, (size_t)size);
    return size;
  }
  ssize_t got;
  do {
    got = pread(in->fd, buf, (size_t)size, offset);
  } while (got < 0 && errno == EINTR);
  return got < 0 ? 0 : got;
}
