#!/usr/bin/env python3
"""supervisord event listener: a program that gives up (FATAL) must not go unnoticed.

On PROCESS_STATE_FATAL it writes one line to stderr (the container's log) and appends the
program's name to $GIGI_FATAL_FILE, which aio/healthcheck.sh fails on, so Docker marks the
container unhealthy (and Swarm replaces it). Standard library only: python3 ships with supervisor.
"""
import os
import sys

FATAL_FILE = os.environ.get("GIGI_FATAL_FILE", "")


def parse(line):
    return dict(item.split(":", 1) for item in line.split())


def main():
    while True:
        sys.stdout.write("READY\n")
        sys.stdout.flush()
        header_line = sys.stdin.readline()
        if not header_line:
            return
        header = parse(header_line)
        payload = sys.stdin.read(int(header.get("len", "0")))
        if header.get("eventname") == "PROCESS_STATE_FATAL":
            body = parse(payload.split("\n", 1)[0])
            name = body.get("processname", "?")
            sys.stderr.write(
                "gigi: program %s went FATAL (it kept exiting right after start); "
                "see /var/log/gigi/%s.log — the container's health check now fails\n" % (name, name)
            )
            sys.stderr.flush()
            if FATAL_FILE:
                with open(FATAL_FILE, "a") as f:
                    f.write(name + "\n")
        sys.stdout.write("RESULT 2\nOK")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
