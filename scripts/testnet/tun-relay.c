/*
 * tun-relay: the testnet's user-space "internet" for delay, loss and
 * partitions (this kernel has no sch_netem). It opens one TUN device per host
 * (IFF_TUN | IFF_NO_PI: raw IPv4 packets), which the testnet script then moves
 * into that host's network namespace. Every packet a host sends to another
 * host's address comes out of its TUN here; the relay holds it for the
 * configured one-way delay (base +/- jitter, uniform), drops a fraction of
 * them (loss), drops everything between hosts in different groups while
 * partitioned, and writes it into the destination's TUN. Packets to one
 * destination leave in the order they arrived (a later packet never
 * overtakes an earlier one), as on a real path.
 *
 * Bounded: at most QUEUE_MAX packets wait per destination (more are dropped,
 * as a router's full buffer would), packets are at most PKT_MAX bytes, and
 * the process exits when its stdin closes (the testnet script ending).
 *
 * Usage: tun-relay SEED NAME=IPv4 [NAME=IPv4 ...]
 * Prints "ready" once every device exists. Commands on stdin, one per line:
 *   delay <ms> <jitter ms>     set the one-way delay between hosts
 *   loss <fraction>            e.g. 0.01
 *   partition <g0> <g1> ...    a group number per host, in argument order
 *   heal                       one group again
 *   stats                      print "stats <relayed> <lost> <partitioned> <overflow>"
 * Compiled by scripts/testnet/build-tun-relay.sh (gcc, no libraries).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOSTS 64
#define QUEUE_MAX 4096
#define PKT_MAX 2048

struct packet { uint64_t due_us; uint16_t len; unsigned char data[PKT_MAX]; };
struct queue { struct packet *slots; unsigned head, count; uint64_t last_due; };

static int fds[MAX_HOSTS];
static uint32_t addrs[MAX_HOSTS];
static int groups[MAX_HOSTS];
static struct queue queues[MAX_HOSTS];
static int hosts;
static double delay_ms = 0, jitter_ms = 0, loss = 0;
static unsigned long long relayed, lost, partitioned, overflow;
static uint64_t rng;

static uint64_t now_us (void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double uniform (void) { /* xorshift64*, seeded: runs are repeatable */
  rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
  return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int open_tun (const char *name) {
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  if (fd < 0) { perror("open /dev/net/tun"); exit(1); }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { perror("TUNSETIFF"); exit(1); }
  return fd;
}

static void command (char *line) {
  if (sscanf(line, "delay %lf %lf", &delay_ms, &jitter_ms) >= 1) return;
  if (sscanf(line, "loss %lf", &loss) == 1) return;
  if (strncmp(line, "heal", 4) == 0) { for (int i = 0; i < hosts; i++) groups[i] = 0; return; }
  if (strncmp(line, "partition", 9) == 0) {
    char *p = line + 9;
    for (int i = 0; i < hosts; i++) groups[i] = (int)strtol(p, &p, 10);
    return;
  }
  if (strncmp(line, "stats", 5) == 0) {
    printf("stats %llu %llu %llu %llu\n", relayed, lost, partitioned, overflow);
    fflush(stdout);
  }
}

static void forward (int from, unsigned char *buf, int len) {
  if (len < 20 || (buf[0] >> 4) != 4) return; /* IPv4 only */
  uint32_t dst;
  memcpy(&dst, buf + 16, 4);
  int to = -1;
  for (int i = 0; i < hosts; i++) if (addrs[i] == dst) to = i;
  if (to < 0 || to == from) return;
  if (groups[from] != groups[to]) { partitioned++; return; }
  if (loss > 0 && uniform() < loss) { lost++; return; }
  struct queue *q = &queues[to];
  if (q->count == QUEUE_MAX) { overflow++; return; }
  double d = delay_ms + (jitter_ms > 0 ? (uniform() * 2 - 1) * jitter_ms : 0);
  uint64_t due = now_us() + (uint64_t)(d > 0 ? d * 1000 : 0);
  if (due < q->last_due) due = q->last_due; /* keep the order */
  q->last_due = due;
  struct packet *p = &q->slots[(q->head + q->count) % QUEUE_MAX];
  p->due_us = due;
  p->len = (uint16_t)len;
  memcpy(p->data, buf, (size_t)len);
  q->count++;
}

int main (int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: tun-relay SEED NAME=IPv4 ...\n"); return 2; }
  rng = strtoull(argv[1], NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
  for (int i = 2; i < argc && hosts < MAX_HOSTS; i++) {
    char *eq = strchr(argv[i], '=');
    if (eq == NULL) { fprintf(stderr, "bad host %s\n", argv[i]); return 2; }
    *eq = 0;
    if (inet_pton(AF_INET, eq + 1, &addrs[hosts]) != 1) { fprintf(stderr, "bad address %s\n", eq + 1); return 2; }
    fds[hosts] = open_tun(argv[i]);
    queues[hosts].slots = calloc(QUEUE_MAX, sizeof(struct packet));
    if (queues[hosts].slots == NULL) return 1;
    hosts++;
  }
  printf("ready\n");
  fflush(stdout);
  struct pollfd pfd[MAX_HOSTS + 1];
  unsigned char buf[PKT_MAX];
  char line[1024];
  size_t used = 0;
  for (;;) {
    uint64_t now = now_us(), next = UINT64_MAX;
    for (int i = 0; i < hosts; i++) {
      struct queue *q = &queues[i];
      while (q->count > 0 && q->slots[q->head].due_us <= now) {
        struct packet *p = &q->slots[q->head];
        if (write(fds[i], p->data, p->len) > 0) relayed++;
        q->head = (q->head + 1) % QUEUE_MAX;
        q->count--;
      }
      if (q->count > 0 && q->slots[q->head].due_us < next) next = q->slots[q->head].due_us;
    }
    for (int i = 0; i < hosts; i++) { pfd[i].fd = fds[i]; pfd[i].events = POLLIN; }
    pfd[hosts].fd = 0;
    pfd[hosts].events = POLLIN;
    int timeout = next == UINT64_MAX ? 1000 : (int)((next - now + 999) / 1000);
    if (poll(pfd, (nfds_t)hosts + 1, timeout) < 0 && errno != EINTR) { perror("poll"); return 1; }
    for (int i = 0; i < hosts; i++) {
      if (!(pfd[i].revents & POLLIN)) continue;
      for (int n = 0; n < 64; n++) { /* bounded work per device per turn */
        ssize_t len = read(fds[i], buf, sizeof buf);
        if (len <= 0) break;
        forward(i, buf, (int)len);
      }
    }
    if (pfd[hosts].revents & (POLLIN | POLLHUP)) {
      ssize_t len = read(0, line + used, sizeof line - 1 - used);
      if (len <= 0) return 0; /* the script went away */
      used += (size_t)len;
      line[used] = 0;
      char *nl;
      while ((nl = strchr(line, '\n')) != NULL) {
        *nl = 0;
        command(line);
        memmove(line, nl + 1, strlen(nl + 1) + 1);
        used = strlen(line);
      }
      if (used == sizeof line - 1) used = 0;
    }
  }
}
