/* gureum-dns: one native DNS answering worker (route53/native_dns.py starts one per core).
 *
 * It reads UDP queries with recvmmsg from the UDP socket all workers share (whichever is free
 * reads the next batch: native_dns.py says why not SO_REUSEPORT), answers those it finds in
 * the shared-memory table Python fills (route53/native_table.py documents the layout and its
 * invariants), and forwards every other datagram, untouched, to Python over a unix
 * SOCK_SEQPACKET socket (with the client's address); Python answers them exactly as it always
 * did and hands the answers back on the same socket, and this worker sends them from the DNS
 * port. Answers go out with sendmmsg. What it answers: a cached answer ('A' key), a routed
 * question's decisions ('R' program, then the answer cached for them), an NXDOMAIN below an
 * existing name ('N' entries); everything else is forwarded.
 *
 * Usage: gureum-dns UDP_FD UNIX_FD SHM_FD SHM_SIZE PARENT_PID (UNIX_FD: a SOCK_SEQPACKET end)
 *
 * Safety: every read of a query is bounds-checked, every read of the table too (Python writes
 * it, but a torn read during a clear must not crash us: the seqlock then makes us forward).
 * The worker dies with its parent (PR_SET_PDEATHSIG) and when Python closes its socket.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define QBUF 65536      /* a UDP datagram can be this large: forwarded whole */
#define HDR 20          /* unix message header: family, 0, port (BE), 16 address bytes */
#define OUR_PAYLOAD 1232

/* Shared-memory header fields (byte offsets; native_table.py is the reference). */
#define H_MAGIC 0       /* u32 'GDN1' */
#define H_SEQ 8         /* u64 seqlock: odd while Python clears the table */
#define H_NSLOTS 16     /* u32 slots, a power of two */
#define H_FLAGS 20      /* u32 bit0: keys carry the client address; bit1: native NXDOMAIN */
#define H_SLOTS 24      /* u32 offset of the slot array (u32 entry offsets, 0 = empty) */
#define H_DATA 28       /* u32 offset of the entry area */
#define H_DATASZ 32     /* u32 size of the entry area */
#define H_COUNTERS 36   /* u32 offset of the u64 counters */
#define H_NCOUNTERS 40  /* u32 number of counters */
#define H_EPOCH 44      /* u32 health epoch: an 'R' program of another epoch is Python's */
#define H_ANSWERED 48   /* u64 queries answered natively (all workers) */
#define H_FORWARDED 56  /* u64 queries forwarded to Python */
#define MAGIC 0x314e4447u
#define F_VIEWS 1u
#define F_NXD 2u
#define NO_COUNTER 0xffffffffu

static uint8_t *shm;
static size_t shm_size;

static uint32_t rd32(size_t off) { uint32_t v; memcpy(&v, shm + off, 4); return v; }
static uint16_t rd16(size_t off) { uint16_t v; memcpy(&v, shm + off, 2); return v; }

static uint32_t fnv1a(const uint8_t *p, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 16777619u; }
    return h;
}

/* The entry whose key is key[0..klen), or NULL. Entry: u16 key_len, u16 a_len, u16 b_len,
 * u16 0, u32 counter, u32 0, then key, value a, value b. Slots are probed linearly. */
static const uint8_t *find(const uint8_t *key, size_t klen, uint16_t *alen, uint16_t *blen, uint32_t *counter) {
    uint32_t nslots = rd32(H_NSLOTS), slots = rd32(H_SLOTS), data = rd32(H_DATA), datasz = rd32(H_DATASZ);
    if (nslots == 0 || (nslots & (nslots - 1)) || (size_t)slots + 4ull * nslots > shm_size || (size_t)data + datasz > shm_size)
        return NULL;
    uint32_t i = fnv1a(key, klen) & (nslots - 1);
    for (uint32_t probes = 0; probes < nslots; probes++, i = (i + 1) & (nslots - 1)) {
        uint32_t off = __atomic_load_n((uint32_t *)(shm + slots + 4ull * i), __ATOMIC_ACQUIRE);
        if (off == 0)
            return NULL;
        if (off < data || off % 8 || (size_t)off + 16 > (size_t)data + datasz)
            return NULL;  /* torn or stale: the seqlock check will send this query to Python */
        uint16_t kl = rd16(off), al = rd16(off + 2), bl = rd16(off + 4);
        if ((size_t)off + 16 + kl + al + bl > (size_t)data + datasz)
            return NULL;
        if (kl == klen && memcmp(shm + off + 16, key, klen) == 0) {
            *alen = al; *blen = bl; *counter = rd32(off + 8);
            return shm + off + 16 + kl;
        }
    }
    return NULL;
}

/* xorshift64*: the weighted draws (seeded per worker) */
static uint64_t rng_state;
static double uniform(void) {
    rng_state ^= rng_state >> 12; rng_state ^= rng_state << 25; rng_state ^= rng_state >> 27;
    return (double)((rng_state * 2685821657736338717ull) >> 11) * 0x1.0p-53;
}

/* A routed question's program (key 'R' + the 'A' key's tail, after its u32 health epoch,
 * which answer() checks against the header's: health moved since, Python's): for each routing group, the
 * decision: fixed (u8 0, then its decision key: u8 n + n member indexes) or weighted (u8 1,
 * u8 n, n x (u8 member, u32 cumulative weight), u32 total: a draw as routing.py's bisect).
 * The decisions appended to the 'A' key name the answer Python cached for them. */
static const uint8_t *routed(const uint8_t *prog, size_t plen, uint8_t *key, size_t k, size_t cap,
                             uint16_t *alen, uint16_t *blen, uint32_t *counter) {
    size_t o = 0;
    if (plen < 1) return NULL;
    unsigned groups = prog[o++];
    for (unsigned g = 0; g < groups; g++) {
        if (o + 2 > plen) return NULL;
        uint8_t type = prog[o++], n = prog[o];
        if (type == 0) {
            if (o + 1 + n > plen || k + 1 + n > cap) return NULL;
            memcpy(key + k, prog + o, 1 + n);
            k += 1 + n; o += 1 + n;
        } else if (type == 1) {
            o++;
            if (n == 0 || o + 5ull * n + 4 > plen || k + 2 > cap) return NULL;
            uint32_t total, cum;
            memcpy(&total, prog + o + 5ull * n, 4);
            double x = uniform() * total;
            unsigned pick = n - 1;
            for (unsigned m = 0; m < n; m++) {
                memcpy(&cum, prog + o + 5ull * m + 1, 4);
                if ((double)cum > x) { pick = m; break; }
            }
            key[k++] = 1;
            key[k++] = prog[o + 5ull * pick];
            o += 5ull * n + 4;
        } else return NULL;
    }
    return find(key, k, alen, blen, counter);
}

static void count(uint32_t idx) {
    if (idx == NO_COUNTER || idx >= rd32(H_NCOUNTERS)) return;
    size_t off = rd32(H_COUNTERS) + 8ull * idx;
    if (off + 8 <= shm_size) __atomic_fetch_add((uint64_t *)(shm + off), 1, __ATOMIC_RELAXED);
}

/* The answer to query q[0..n) from client `addr` (17 bytes: family, address), written to out;
 * its length, or 0: not ours, forward. Mirrors engine.py's fast path check for check. */
static size_t answer(const uint8_t *q, size_t n, const uint8_t *addr, uint8_t *out) {
    if (n < 12 || (q[2] & 0xF8)) return 0;
    static const uint8_t no_edns[8] = {0, 1, 0, 0, 0, 0, 0, 0}, with_edns[8] = {0, 1, 0, 0, 0, 0, 0, 1};
    int edns;
    if (!memcmp(q + 4, no_edns, 8)) edns = 0;
    else if (!memcmp(q + 4, with_edns, 8)) edns = 1;
    else return 0;
    size_t i = 12;
    for (;;) {
        if (i >= n) return 0;
        uint8_t l = q[i];
        if (l == 0) break;
        if (l > 63) return 0;
        i += l + 1;
    }
    if (i - 11 > 255) return 0;
    size_t end = i + 5;
    if (end > n) return 0;
    size_t limit = 512, ecs = 0, ecslen = 0;
    int has_ecs = 0, ekey = 0;
    if (edns) {
        if (n < end + 11 || q[end] || q[end + 1] || q[end + 2] != 41 || q[end + 5] || q[end + 6]) return 0;
        if (end + 11 + ((size_t)q[end + 9] << 8 | q[end + 10]) != n) return 0;
        size_t size = (size_t)q[end + 3] << 8 | q[end + 4];
        limit = size < 512 ? 512 : (size < OUR_PAYLOAD ? size : OUR_PAYLOAD);
        ekey = (q[end + 7] & 0x80) ? 2 : 1;
        size_t j = end + 11;
        while (j + 4 <= n) {
            size_t olen = (size_t)q[j + 2] << 8 | q[j + 3];
            if (q[j] == 0 && q[j + 1] == 8) { has_ecs = 1; ecs = j + 4; ecslen = olen; }
            j += 4 + olen;
        }
        if (j != n) return 0;
    } else if (end != n) return 0;
    if (q[end - 2] != 0 || q[end - 1] != 1) return 0;                        /* class IN only */
    if (q[end - 4] == 0 && (q[end - 3] == 252 || q[end - 3] == 251)) return 0; /* AXFR, IXFR */

    uint32_t flags = rd32(H_FLAGS);
    uint8_t key[4096];
    size_t k = 0;
    key[k++] = 'A';
    for (size_t p = 12; p < i; p++) key[k++] = (q[p] >= 'A' && q[p] <= 'Z') ? q[p] + 32 : q[p];
    memcpy(key + k, q + i, 5); k += 5;  /* the terminal label, qtype, qclass */
    key[k++] = (q[2] & 1) | (q[3] & 0x10);
    key[k++] = (uint8_t)ekey;
    if (has_ecs) {
        if (ecslen > QBUF / 64) return 0;
        key[k++] = 8;
        memcpy(key + k, q + ecs, ecslen); k += ecslen;
    }
    if (flags & F_VIEWS) { memcpy(key + k, addr, 17); k += 17; }

    uint16_t alen, blen; uint32_t counter;
    const uint8_t *v = find(key, k, &alen, &blen, &counter);
    if (v == NULL) {  /* a routed question? its decisions, then the answer cached for them */
        key[0] = 'R';
        const uint8_t *prog = find(key, k, &alen, &blen, &counter);
        key[0] = 'A';
        if (prog != NULL && alen >= 4 && rd32((size_t)(prog - shm)) == rd32(H_EPOCH))
            v = routed(prog + 4, alen - 4u, key, k, sizeof key, &alen, &blen, &counter);
    }
    if (v != NULL) {
        const uint8_t *wire = v; size_t wl = alen;
        if (wl > limit) { wire = v + alen; wl = blen; }
        if (wl < i + 1 || wl > QBUF) return 0;
        memcpy(out, q, 2);                  /* the query's id */
        memcpy(out + 2, wire + 2, 10);      /* flags and counts */
        memcpy(out + 12, q + 12, i - 12);   /* the question name as the client spelled it */
        memcpy(out + i, wire + i, wl - i);
        count(counter);
        return wl;
    }
    if (has_ecs || !(flags & F_NXD)) return 0;
    /* NXDOMAIN: the closest existing name above the query (key 'N' + lowercased suffix, its
     * terminal label included). A name that exists itself, or a closest encloser not flagged
     * as answerable (wildcard, delegation, logged or signed zone...), goes to Python. */
    uint8_t nkey[1 + 256];
    nkey[0] = 'N';
    for (size_t p = 12; p < i; p += q[p] + 1) {
        size_t kl = 1 + (i + 1 - p);
        memcpy(nkey + 1, key + 1 + (p - 12), i + 1 - p);
        v = find(nkey, kl, &alen, &blen, &counter);
        if (v == NULL) continue;
        if (p == 12 || alen < 2) return 0;   /* the name exists: not an NXDOMAIN */
        if (!(v[0] & 1)) return 0;           /* wildcard, delegation, logged zone...: Python */
        if ((v[0] & 2) && ekey == 2) return 0; /* signed zone, DO: the black lie is Python's */
        /* The SOA's owner is the zone's apex (v[1] labels): a pointer to it in the question. */
        size_t labels = 0, apex = 12;
        for (size_t r = 12; r < i; r += q[r] + 1) labels++;
        if (v[1] > labels) return 0;
        for (size_t skip = labels - v[1]; skip > 0; skip--) apex += q[apex] + 1;
        size_t soa = alen - 2, o = 0;
        if (end + 2 + soa + 11 > QBUF) return 0;
        uint16_t f = 0x8403 | (uint16_t)(q[2] & 1) << 8 | (q[3] & 0x10);
        memcpy(out, q, 2);
        out[2] = f >> 8; out[3] = f & 0xff;
        out[4] = 0; out[5] = 1; out[6] = 0; out[7] = 0; out[8] = 0; out[9] = 1; out[10] = 0; out[11] = edns;
        o = 12;
        memcpy(out + o, q + 12, end - 12); o = end;
        out[o++] = 0xC0 | (uint8_t)(apex >> 8); out[o++] = apex & 0xff;
        memcpy(out + o, v + 2, soa); o += soa;
        if (edns) {
            static const uint8_t opt[11] = {0, 0, 41, OUR_PAYLOAD >> 8, OUR_PAYLOAD & 0xff, 0, 0, 0, 0, 0, 0};
            memcpy(out + o, opt, 11);
            if (ekey == 2) out[o + 7] = 0x80;
            o += 11;
        }
        count(counter);
        return o;
    }
    return 0;
}

/* sockaddr <-> the 20-byte unix message header: family (4/6), port (BE) at 1, address at 4. */
static void to_hdr(const struct sockaddr_storage *sa, uint8_t *hdr) {
    memset(hdr, 0, HDR);
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        hdr[0] = 4; memcpy(hdr + 1, &s->sin_port, 2); memcpy(hdr + 4, &s->sin_addr, 4);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        hdr[0] = 6; memcpy(hdr + 1, &s->sin6_port, 2); memcpy(hdr + 4, &s->sin6_addr, 16);
    }
}

static socklen_t from_hdr(const uint8_t *hdr, struct sockaddr_storage *sa) {
    memset(sa, 0, sizeof *sa);
    if (hdr[0] == 4) {
        struct sockaddr_in *s = (struct sockaddr_in *)sa;
        s->sin_family = AF_INET; memcpy(&s->sin_port, hdr + 1, 2); memcpy(&s->sin_addr, hdr + 4, 4);
        return sizeof *s;
    }
    if (hdr[0] == 6) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)sa;
        s->sin6_family = AF_INET6; memcpy(&s->sin6_port, hdr + 1, 2); memcpy(&s->sin6_addr, hdr + 4, 16);
        return sizeof *s;
    }
    return 0;
}

static uint8_t inbuf[BATCH][HDR + QBUF], outbuf[BATCH][QBUF];
static struct sockaddr_storage peers[BATCH], dests[BATCH];
static struct mmsghdr inmsg[BATCH], outmsg[BATCH];
static struct iovec iniov[BATCH], outiov[BATCH];

static void flush_out(int udp, unsigned nout) {
    unsigned sent = 0;
    while (sent < nout) {
        int r = sendmmsg(udp, outmsg + sent, nout - sent, MSG_DONTWAIT);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) continue;
            sent++;  /* a datagram the kernel refuses (EAGAIN, unreachable): UDP may drop it */
            continue;
        }
        sent += (unsigned)r;
    }
}

static void queue_out(unsigned idx, const uint8_t *hdr, const uint8_t *data, size_t len) {
    socklen_t sl = from_hdr(hdr, &dests[idx]);
    if (data != outbuf[idx]) memcpy(outbuf[idx], data, len);
    outiov[idx].iov_base = outbuf[idx];
    outiov[idx].iov_len = len;
    memset(&outmsg[idx].msg_hdr, 0, sizeof outmsg[idx].msg_hdr);
    outmsg[idx].msg_hdr.msg_name = &dests[idx];
    outmsg[idx].msg_hdr.msg_namelen = sl;
    outmsg[idx].msg_hdr.msg_iov = &outiov[idx];
    outmsg[idx].msg_hdr.msg_iovlen = 1;
}

int main(int argc, char **argv) {
    if (argc != 6) return 2;
    int udp = atoi(argv[1]), ux = atoi(argv[2]), shmfd = atoi(argv[3]);
    shm_size = strtoull(argv[4], NULL, 10);
    pid_t parent = (pid_t)atoi(argv[5]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  /* gureum gone (even by kill -9): so are we */
    if (getppid() != parent) return 0; /* it went before the line above took effect */
    prctl(PR_SET_NAME, "gureum-dns");
    rng_state = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&argc ^ 0x9e3779b97f4a7c15ull;
    {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng_state ^= (uint64_t)ts.tv_nsec * 0x2545F4914F6CDD1Dull;
        if (rng_state == 0) rng_state = 1;
    }
    shm = mmap(NULL, shm_size, PROT_READ | PROT_WRITE, MAP_SHARED, shmfd, 0);
    if (shm == MAP_FAILED || shm_size < 64 || rd32(H_MAGIC) != MAGIC) return 3;
    close(shmfd);

    for (unsigned m = 0; m < BATCH; m++) {
        iniov[m].iov_base = inbuf[m] + HDR;
        iniov[m].iov_len = QBUF;
    }
    struct pollfd fds[2] = {{udp, POLLIN, 0}, {ux, POLLIN, 0}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR) continue;
            return 4;
        }
        if (fds[1].revents & (POLLHUP | POLLERR | POLLNVAL)) return 0;  /* Python closed: stop */
        if (fds[0].revents & POLLIN) {
            for (unsigned m = 0; m < BATCH; m++) {
                memset(&inmsg[m].msg_hdr, 0, sizeof inmsg[m].msg_hdr);
                inmsg[m].msg_hdr.msg_name = &peers[m];
                inmsg[m].msg_hdr.msg_namelen = sizeof peers[m];
                inmsg[m].msg_hdr.msg_iov = &iniov[m];
                inmsg[m].msg_hdr.msg_iovlen = 1;
            }
            int got = recvmmsg(udp, inmsg, BATCH, MSG_DONTWAIT, NULL);
            unsigned nout = 0;
            uint64_t answered = 0;
            for (int m = 0; m < got; m++) {
                uint8_t *hdr = inbuf[m];
                size_t n = inmsg[m].msg_len;
                to_hdr(&peers[m], hdr);
                if (hdr[0] == 0 || (inmsg[m].msg_hdr.msg_flags & MSG_TRUNC)) continue;
                uint8_t key_addr[17];
                key_addr[0] = hdr[0];
                memcpy(key_addr + 1, hdr + 4, 16);
                /* Seqlock read: an answer taken while Python cleared the table is not sent. */
                uint64_t s1 = __atomic_load_n((uint64_t *)(shm + H_SEQ), __ATOMIC_ACQUIRE);
                size_t len = 0;
                if (!(s1 & 1)) {
                    len = answer(hdr + HDR, n, key_addr, outbuf[nout]);
                    __atomic_thread_fence(__ATOMIC_ACQUIRE);
                    if (__atomic_load_n((uint64_t *)(shm + H_SEQ), __ATOMIC_RELAXED) != s1) len = 0;
                }
                if (len > 0) {
                    queue_out(nout, hdr, outbuf[nout], len);
                    nout++;
                    answered++;
                } else {
                    __atomic_fetch_add((uint64_t *)(shm + H_FORWARDED), 1, __ATOMIC_RELAXED);
                    send(ux, hdr, HDR + n, MSG_DONTWAIT);  /* Python's: dropped if it lags (UDP) */
                }
            }
            /* (counted before they are sent: whoever sees an answer sees it counted) */
            if (answered) __atomic_fetch_add((uint64_t *)(shm + H_ANSWERED), answered, __ATOMIC_RELAXED);
            if (nout) flush_out(udp, nout);
        }
        if (fds[1].revents & POLLIN) {
            unsigned nout = 0;
            while (nout < BATCH) {
                ssize_t r = recv(ux, inbuf[nout], HDR + QBUF, MSG_DONTWAIT);
                if (r == 0) return 0;  /* Python closed its end */
                if (r < 0) break;
                if (r < HDR) continue;
                queue_out(nout, inbuf[nout], inbuf[nout] + HDR, (size_t)r - HDR);
                nout++;
            }
            if (nout) flush_out(udp, nout);
        }
    }
}
