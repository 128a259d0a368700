/*
 * Growing arrays (see array.h).
 */
#include "base/array.h"

#include <stdint.h>
#include <stdlib.h>

#include "base/error.h"

int kd_array_reserve(void **items, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t n = *cap > 4 ? *cap : 4;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			return KD_ENOMEM;
		n *= 2;
	}
	if (elem && n > SIZE_MAX / elem)
		return KD_ENOMEM;
	void *grown = realloc(*items, n * elem);
	if (!grown)
		return KD_ENOMEM;
	*items = grown;
	*cap = n;
	return 0;
}
