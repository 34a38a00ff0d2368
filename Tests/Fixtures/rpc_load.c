// A MessagePack-RPC load generator and the server it calls, fast enough that a proxy between
// them is what a benchmark measures (scripts/proxy-load.sh). One call shape only:
// [0, msgid (uint32), "echo", [bin]] answered by [1, msgid, nil, bin].
//
//   rpc_load server PORT                      prints "listening PORT" (0: any free port)
//   rpc_load client HOST PORT CONNECTIONS CALLS SIZE
//       CONNECTIONS connections at once, each making CALLS calls one after another with a bin
//       of SIZE bytes (at most 255); prints "calls N seconds S calls/s R p50_ms A p99_ms B".
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { REQUEST_HEAD = 15, RESPONSE_HEAD = 10, BUFFER = 1 << 16, MAX_CLIENTS = 1024 };

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void no_delay(int fd) {
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
}

static void send_all(int fd, const uint8_t *bytes, size_t count) {
    while (count > 0) {
        ssize_t sent = send(fd, bytes, count, MSG_NOSIGNAL);
        if (sent < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                struct pollfd ready = {fd, POLLOUT, 0};
                poll(&ready, 1, 100);
                continue;
            }
            return;
        }
        bytes += sent;
        count -= (size_t)sent;
    }
}

struct connection {
    int fd;
    uint8_t in[BUFFER];
    size_t have;
    uint32_t next_id, calls_left;
    double sent_at;
};

static int serve(int port) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, SOMAXCONN) != 0) {
        perror("listen");
        return 2;
    }
    socklen_t length = sizeof address;
    getsockname(listener, (struct sockaddr *)&address, &length);
    printf("listening %d\n", ntohs(address.sin_port));
    fflush(stdout);
    static struct connection clients[MAX_CLIENTS];
    static struct pollfd polled[MAX_CLIENTS + 1];
    int count = 0;
    for (;;) {
        polled[0] = (struct pollfd){listener, POLLIN, 0};
        for (int i = 0; i < count; i++) polled[i + 1] = (struct pollfd){clients[i].fd, POLLIN, 0};
        if (poll(polled, (nfds_t)count + 1, -1) < 0) continue;
        for (int i = count - 1; i >= 0; i--) {
            if (!polled[i + 1].revents) continue;
            struct connection *c = &clients[i];
            ssize_t got = recv(c->fd, c->in + c->have, BUFFER - c->have, 0);
            if (got <= 0) {
                close(c->fd);
                clients[i] = clients[--count];
                continue;
            }
            c->have += (size_t)got;
            size_t at = 0;
            uint8_t out[BUFFER];
            size_t out_count = 0;
            // Each whole request is answered; a part of one waits for its rest.
            while (c->have - at >= REQUEST_HEAD && c->have - at >= REQUEST_HEAD + c->in[at + 14]) {
                uint8_t size = c->in[at + 14];
                uint8_t *response = out + out_count;
                response[0] = 0x94, response[1] = 0x01, response[2] = 0xCE;
                memcpy(response + 3, c->in + at + 3, 4);
                response[7] = 0xC0, response[8] = 0xC4, response[9] = size;
                memcpy(response + RESPONSE_HEAD, c->in + at + REQUEST_HEAD, size);
                out_count += RESPONSE_HEAD + size;
                at += REQUEST_HEAD + size;
                if (out_count > BUFFER - 300) {
                    send_all(c->fd, out, out_count);
                    out_count = 0;
                }
            }
            send_all(c->fd, out, out_count);
            memmove(c->in, c->in + at, c->have - at);
            c->have -= at;
        }
        if (polled[0].revents && count < MAX_CLIENTS) {
            int fd = accept(listener, NULL, NULL);
            if (fd >= 0) {
                no_delay(fd);
                clients[count].fd = fd;
                clients[count].have = 0;
                count++;
            }
        }
    }
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void call(struct connection *c, const uint8_t *payload, uint8_t size) {
    uint8_t request[REQUEST_HEAD + 255] = {0x94, 0x00, 0xCE, 0, 0, 0, 0, 0xA4, 'e', 'c', 'h', 'o', 0x91, 0xC4, size};
    uint32_t id = htonl(c->next_id);
    memcpy(request + 3, &id, 4);
    memcpy(request + REQUEST_HEAD, payload, size);
    c->sent_at = now_seconds();
    send_all(c->fd, request, REQUEST_HEAD + size);
}

static int load(const char *host, int port, int connections, int calls, int size) {
    if (connections < 1 || connections > MAX_CLIENTS || calls < 1 || size < 0 || size > 255) {
        fprintf(stderr, "rpc_load: 1-%d connections, 1 or more calls, a size of 0-255\n", MAX_CLIENTS);
        return 2;
    }
    struct connection *clients = calloc((size_t)connections, sizeof *clients);
    struct pollfd *polled = calloc((size_t)connections, sizeof *polled);
    double *latencies = malloc(sizeof(double) * (size_t)connections * (size_t)calls);
    uint8_t payload[255];
    memset(payload, 0x5A, sizeof payload);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, host, &address.sin_addr);
    for (int i = 0; i < connections; i++) {
        clients[i].fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(clients[i].fd, (struct sockaddr *)&address, sizeof address) != 0) {
            perror("connect");
            return 2;
        }
        no_delay(clients[i].fd);
        clients[i].calls_left = (uint32_t)calls;
    }
    size_t answered = 0, total = (size_t)connections * (size_t)calls;
    double started = now_seconds();
    for (int i = 0; i < connections; i++) call(&clients[i], payload, (uint8_t)size);
    while (answered < total) {
        for (int i = 0; i < connections; i++) polled[i] = (struct pollfd){clients[i].fd, clients[i].calls_left ? POLLIN : 0, 0};
        if (poll(polled, (nfds_t)connections, 10000) <= 0) {
            fprintf(stderr, "rpc_load: no answer for 10 s (%zu of %zu answered)\n", answered, total);
            return 1;
        }
        for (int i = 0; i < connections; i++) {
            if (!polled[i].revents) continue;
            struct connection *c = &clients[i];
            ssize_t got = recv(c->fd, c->in + c->have, BUFFER - c->have, 0);
            if (got <= 0) {
                fprintf(stderr, "rpc_load: a connection closed (%zu of %zu answered)\n", answered, total);
                return 1;
            }
            c->have += (size_t)got;
            if (c->have < (size_t)RESPONSE_HEAD + (size_t)size) continue;
            latencies[answered++] = now_seconds() - c->sent_at;
            c->have -= (size_t)RESPONSE_HEAD + (size_t)size;
            c->next_id++;
            if (--c->calls_left > 0) call(c, payload, (uint8_t)size);
        }
    }
    double seconds = now_seconds() - started;
    qsort(latencies, total, sizeof *latencies, compare);
    printf("calls %zu seconds %.3f calls/s %.0f p50_ms %.3f p99_ms %.3f\n", total, seconds, total / seconds,
           latencies[total / 2] * 1e3, latencies[total * 99 / 100] * 1e3);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "server") == 0) return serve(atoi(argv[2]));
    if (argc == 7 && strcmp(argv[1], "client") == 0)
        return load(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]));
    fprintf(stderr, "usage: rpc_load server PORT | rpc_load client HOST PORT CONNECTIONS CALLS SIZE\n");
    return 2;
}
