/* The wire between a vm_worker (parent.c) and its child (serve.c, main.c): one request, one
 * reply, over a socket; the bulk (a memory source's bytes, a batch's frames and pixels) in two
 * memory files both processes map. Both ends are the same build of the same library, so the
 * public structs travel as they are. Not installed. */
#ifndef VIDMILL_ISOLATE_PROTOCOL_H
#define VIDMILL_ISOLATE_PROTOCOL_H

#include <stddef.h>
#include <stdint.h>

#include "vidmill.h"

#define VM_WIRE_MAGIC 0x766d7731u /* "vmw1" */

/* The child's descriptors, set up by the parent when it spawns it. */
enum {
  VM_WIRE_FD_SOCKET = 3, /* requests in, replies out */
  VM_WIRE_FD_SOURCE = 4, /* a memory source's bytes, at offset 0 */
  VM_WIRE_FD_OUTPUT = 5, /* a batch: its frames at offset 0, its pixels at VM_WIRE_DATA_OFFSET */
  VM_WIRE_FD_FIRST_FREE = 6,
};

typedef enum vm_wire_op {
  VM_WIRE_OPEN = 1,       /* vm_wire_open + path, name, denied codecs -> vm_wire_clip */
  VM_WIRE_SAMPLING = 2,   /* vm_sampling, or nothing for NULL -> vm_wire_clip */
  VM_WIRE_OUTPUT = 3,     /* vm_wire_output -> vm_wire_clip */
  VM_WIRE_NEXT = 4,       /* vm_wire_next -> vm_wire_next_reply */
  VM_WIRE_AGGREGATES = 5, /* nothing -> vm_clip_aggregates */
  VM_WIRE_CLOSE = 6,      /* nothing -> nothing */
  VM_WIRE_EXIT = 7,       /* no reply: the child exits */
} vm_wire_op;

typedef struct vm_wire_request {
  uint32_t magic;
  uint32_t op;            /* vm_wire_op */
  uint64_t source_size;   /* bytes of the source file now (the child maps what it does not yet) */
  uint64_t output_size;   /* bytes of the output file now */
  uint32_t length;        /* payload bytes that follow */
  uint32_t reserved;
} vm_wire_request;

/* The first reply of a child, before any request, says whether it is ready: status VM_OK, or
 * an error and its text as the payload. Every other reply answers one request. */
typedef struct vm_wire_reply {
  uint32_t magic;
  int32_t status;         /* what the call returned */
  uint32_t length;        /* payload bytes that follow */
  uint32_t reserved;
} vm_wire_reply;

typedef struct vm_wire_open {
  vm_open_options options;
  int32_t has_options;    /* 0: NULL options */
  int32_t has_denied;     /* options.denied_codecs was set (its text follows, maybe "") */
  int64_t data_size;      /* a memory source of this many bytes in the source file; -1: a path */
  uint32_t path_length;   /* the texts that follow, in this order, without NULs */
  uint32_t name_length;   /* 0 with has_name 0: no name */
  uint32_t denied_length;
  int32_t has_name;
} vm_wire_open;

/* What the parent keeps of a clip, sent back after every call on it. */
typedef struct vm_wire_clip {
  int32_t has_clip;       /* OPEN: the child has a handle (it may still have failed) */
  int32_t reserved0;
  vm_clip_info info;
  vm_clip_stats stats;
  uint32_t error_length;  /* the text of vm_clip_last_error follows */
  uint32_t reserved;
} vm_wire_clip;

typedef struct vm_wire_output {
  int32_t has_output;     /* 0: NULL (frames as decoded) */
  int32_t reserved;
  vm_output output;
} vm_wire_output;

typedef struct vm_wire_next {
  uint32_t want;
  uint32_t capacity;
  int64_t data_capacity;
} vm_wire_next;

typedef struct vm_wire_next_reply {
  uint32_t count;
  uint32_t reserved;
  int64_t data_used;
  int64_t data_needed;
  vm_wire_clip clip;      /* its error text follows */
} vm_wire_next_reply;

/* Where a batch's pixels start in the output file: after `capacity` frames, 64-byte aligned. */
static inline uint64_t vm_wire_data_offset(uint32_t capacity) {
  return ((uint64_t)capacity * sizeof(vm_frame) + 63) & ~(uint64_t)63;
}

/* How the child tells its parent it cannot serve (the executable could not load the library):
 * a ready reply with this status and the reason as text. */
#define VM_WIRE_NOT_READY VM_ERR_INTERNAL

/* The whole of buf over the socket fd, through EINTR and short transfers (wire.c); 0 when the
 * peer is gone or the socket failed, 1 when done. */
int vm_wire_send(int fd, const void *buf, size_t n);
int vm_wire_recv(int fd, void *buf, size_t n);
/* Grows *buf (realloc, doubling) to hold at least `need` bytes; 0 when out of memory. */
int vm_wire_reserve(uint8_t **buf, size_t *size, size_t need);

#endif
