/*
 * The JSON form of a referral, shared by the API, `ctihub le --json` and
 * the chat bridge, so every front end shows the same field names.
 */
#ifndef CTIHUB_WORKFLOW_REFERRAL_JSON_H
#define CTIHUB_WORKFLOW_REFERRAL_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/* One referral; with the thread when the view carries it. now gives the
 * ages. */
json_t *referral_json(const struct store_referral_view *v, int64_t now);
/* A list item: the referral without links, plus "new". */
json_t *referral_list_item_json(const struct store_referral *r, int64_t now);
json_t *referral_attachment_json(const struct store_referral_attachment *a);

#endif
