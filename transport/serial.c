/*
 * Serial lines: a tty device (a real COM port, a USB serial adapter, or a
 * pty standing in for one) opened in raw 8N1 mode at the configured speed,
 * and, for kdsim, a fresh pseudo-terminal whose slave kd opens as if it
 * were a serial device.
 */
#include "transport/stream_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static speed_t baud_constant(int baud)
{
	switch (baud) {
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 0:
	case 115200: return B115200;
	case 230400: return B230400;
	case 460800: return B460800;
	case 921600: return B921600;
	}
	return 0;
}

static int make_raw(int fd, int baud, char *err, size_t errlen)
{
	struct termios tio;
	speed_t speed = baud_constant(baud);
	if (!speed) {
		snprintf(err, errlen, "unsupported baud rate %d (use 9600, 19200, 38400, 57600 or 115200)", baud);
		return UV_EINVAL;
	}
	if (tcgetattr(fd, &tio) < 0) {
		snprintf(err, errlen, "not a serial device: %s", strerror(errno));
		return -errno;
	}
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cflag &= ~(CRTSCTS | CSTOPB | PARENB);
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	cfsetispeed(&tio, speed);
	cfsetospeed(&tio, speed);
	if (tcsetattr(fd, TCSANOW, &tio) < 0) {
		snprintf(err, errlen, "cannot configure the serial line: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Wrap an open descriptor in a libuv pipe handle and make it the peer. */
static int adopt_fd(struct kd_stream *s, int fd, char *err, size_t errlen)
{
	uv_pipe_t *pipe = malloc(sizeof *pipe);
	if (!pipe) {
		close(fd);
		return UV_ENOMEM;
	}
	uv_pipe_init(s->loop, pipe, 0);
	int rc = uv_pipe_open(pipe, fd);
	if (rc < 0) {
		snprintf(err, errlen, "cannot use the device: %s", uv_strerror(rc));
		close(fd);
		kd_stream_close_handle(s, (uv_handle_t *)pipe);
		return rc;
	}
	kd_stream_adopt(s, (uv_stream_t *)pipe);
	return 0;
}

int kd_serial_start(struct kd_stream *s, char *err, size_t errlen)
{
	int fd = open(s->path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open %s: %s%s", s->path, strerror(e),
		         e == EBUSY ? " (another program holds the port)" :
		         e == EACCES ? " (add yourself to the dialout group, or run as root)" : "");
		return -e;
	}
	int rc = make_raw(fd, s->spec.baud, err, errlen);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return adopt_fd(s, fd, err, errlen);
}

/* The simulator's side of a serial line: a pty master. The slave stays
 * open here too so that the master does not report EIO before kd opens it
 * and after kd closes it. */
int kd_pty_start(struct kd_stream *s, char *err, size_t errlen)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		snprintf(err, errlen, "cannot create a pseudo-terminal: %s", strerror(errno));
		if (master >= 0)
			close(master);
		return -errno;
	}
	const char *name = ptsname(master);
	if (!name) {
		close(master);
		snprintf(err, errlen, "cannot name the pseudo-terminal");
		return UV_EIO;
	}
	snprintf(s->pty_name, sizeof s->pty_name, "%s", name);
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave >= 0) {
		char e2[64];
		make_raw(slave, 115200, e2, sizeof e2);
		/* Kept open for the life of the process on purpose (see above). */
	}
	fcntl(master, F_SETFD, FD_CLOEXEC);
	struct termios tio;
	if (tcgetattr(master, &tio) == 0) {
		cfmakeraw(&tio);
		tcsetattr(master, TCSANOW, &tio);
	}
	return adopt_fd(s, master, err, errlen);
}
