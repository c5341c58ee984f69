// SPDX-License-Identifier: GPL-2.0-only
// swkvm run: QEMU's fw_cfg interface, I/O port form: selector 0x510, data 0x511.
//
// Source of truth: QEMU's docs/specs/fw_cfg.rst (selector keys, the little-endian
// integer items, the big-endian file directory, the ID feature bits). A selector write
// resets the read offset; reads past an item's end, or of a key that does not exist,
// return 0. The write channel (selector bit 14) and DMA (port 0x514) are not offered.
#include <arpa/inet.h>
#include <linux/qemu_fw_cfg.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vmm.h"


void fw_cfg_init(struct fw_cfg *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->next_file = FW_CFG_FILE_FIRST;
	f->cur = -1;
}

void fw_cfg_free(struct fw_cfg *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->items[i].data);
	f->n = 0;
}

int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, uint32_t len)
{
	struct fw_cfg_item *it;

	if (f->n == FW_CFG_MAX_ITEMS)
		return -1;
	it = &f->items[f->n];
	memset(it, 0, sizeof(*it));
	it->data = malloc(len ? len : 1);
	if (!it->data)
		return -1;
	memcpy(it->data, data, len);
	it->len = len;
	it->key = key;
	f->n++;
	return 0;
}

int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	return fw_cfg_add(f, key, b, 2);
}

int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v)
{
	uint8_t b[4];

	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add(f, key, b, 4);
}

int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fw_cfg_add(f, key, b, 8);
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, uint32_t len)
{
	if (strlen(name) >= sizeof(f->items[0].name))
		return -1;
	if (fw_cfg_add(f, f->next_file, data, len))
		return -1;
	strcpy(f->items[f->n - 1].name, name);
	f->next_file++;
	return 0;
}

/* FW_CFG_FILE_DIR: be32 count, then struct fw_cfg_file (big-endian size and select) */
int fw_cfg_finish(struct fw_cfg *f)
{
	uint32_t count = 0, len;
	uint8_t *dir, *e;
	int r;

	for (int i = 0; i < f->n; i++)
		count += f->items[i].name[0] != 0;
	len = 4 + (uint32_t)sizeof(struct fw_cfg_file) * count;
	dir = calloc(1, len);
	if (!dir)
		return -1;
	*(uint32_t *)dir = htonl(count);
	e = dir + 4;
	for (int i = 0; i < f->n; i++) {
		struct fw_cfg_file file = { 0 };

		if (!f->items[i].name[0])
			continue;
		file.size = htonl(f->items[i].len);
		file.select = htons(f->items[i].key);
		memcpy(file.name, f->items[i].name, FW_CFG_MAX_FILE_PATH);
		memcpy(e, &file, sizeof(file));
		e += sizeof(file);
	}
	r = fw_cfg_add(f, FW_CFG_FILE_DIR, dir, len);
	free(dir);
	return r;
}

uint32_t fw_cfg_read(void *dev, uint16_t port, unsigned size)
{
	struct fw_cfg *f = dev;
	uint32_t v = 0;

	if (port != 0x511)
		return 0;	/* the selector register is write-only */
	pthread_mutex_lock(&f->lock);
	/* each byte of a wider read is the next byte of the item */
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = 0;

		if (f->cur >= 0 && f->off < f->items[f->cur].len)
			b = f->items[f->cur].data[f->off++];
		v |= (uint32_t)b << (8 * i);
	}
	pthread_mutex_unlock(&f->lock);
	return v;
}

void fw_cfg_write(void *dev, uint16_t port, unsigned size, uint32_t val)
{
	struct fw_cfg *f = dev;

	if (port != 0x510 || size != 2)
		return;		/* data writes are ignored, as in QEMU since 2.4 */
	pthread_mutex_lock(&f->lock);
	f->cur = -1;
	f->off = 0;
	for (int i = 0; i < f->n; i++) {
		/* the write-channel bit selects the same item */
		uint16_t k = (uint16_t)(val & ~FW_CFG_WRITE_CHANNEL);

		if (f->items[i].key == k) {
			f->cur = i;
			break;
		}
	}
	pthread_mutex_unlock(&f->lock);
}
