#!/usr/bin/env python3
"""An OpenTrackIO sender written from the 1.0.1 spec, not from volym's code.

    otrk_send.py HOST PORT JSON [SECONDS]

Sends the sample JSON (a file name, or the text itself) as an OpenTrackIO
JSON payload every 20 ms for SECONDS (default 10) seconds, or until killed.

The header is the spec's table ("Packet Header", OpenTrackIO.html in SMPTE's
camdkit repository): "OTrk", a reserved byte, encoding 0x01 (JSON), a 16-bit
sequence number (each datagram its own), a 32-bit segment offset (0), the
last-segment bit over a 15-bit payload length, and Fletcher-16 with a
modulus of 256 over the header's first 14 bytes and the payload, as the
spec's reference code sums it (uint8_t sum1 += byte; sum2 += sum1), sent
big-endian as (sum2 << 8) | sum1.
"""
import os
import socket
import struct
import sys
import time


def fletcher16(data):
    sum1 = sum2 = 0
    for b in data:
        sum1 = (sum1 + b) & 0xFF
        sum2 = (sum2 + sum1) & 0xFF
    return (sum2 << 8) | sum1


def datagram(payload, sequence):
    head = b"OTrk" + struct.pack("!BBHIH", 0, 0x01, sequence, 0, 0x8000 | len(payload))
    return head + struct.pack("!H", fletcher16(head + payload)) + payload


def main():
    host, port, sample = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 10
    text = open(sample).read() if os.path.exists(sample) else sample
    payload = text.encode()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = time.monotonic() + seconds
    sequence = 0
    while time.monotonic() < end:
        sock.sendto(datagram(payload, sequence), (host, port))
        sequence = (sequence + 1) & 0xFFFF
        time.sleep(0.02)


if __name__ == "__main__":
    main()
