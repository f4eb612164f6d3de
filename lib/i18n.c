/*
 * i18n: loading and checking the UI string tables, and language
 * negotiation.  Layer: lib/; depends on jansson.  A missing key in one
 * language is refused at start, so no page can show a raw key.
 */
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const i18n_langs[I18N_NLANG] = {"ko", "en"};

int
i18n_index(const char *code)
{
    int i;

    if (code == NULL) {
        return -1;
    }
    for (i = 0; i < I18N_NLANG; i++) {
        if (strcasecmp(code, i18n_langs[i]) == 0) {
            return i;
        }
    }
    return -1;
}

json_t *
i18n_strings(const struct i18n *t, int lang)
{
    if (lang < 0 || lang >= I18N_NLANG) {
        lang = 0;
    }
    return t->strings[lang];
}

int
i18n_load(struct i18n *t, const char *dir, char *err, size_t errlen)
{
    int i, j;
    const char *key;
    json_t *v;

    memset(t, 0, sizeof(*t));
    for (i = 0; i < I18N_NLANG; i++) {
        char path[4096];
        json_error_t je;

        snprintf(path, sizeof(path), "%s/%s.json", dir, i18n_langs[i]);
        t->strings[i] = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
        if (t->strings[i] == NULL) {
            snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
            goto fail;
        }
        if (!json_is_object(t->strings[i])) {
            snprintf(err, errlen, "%s: not a JSON object", path);
            goto fail;
        }
        json_object_foreach(t->strings[i], key, v)
        {
            if (!json_is_string(v)) {
                snprintf(err, errlen, "%s: \"%s\" is not a string", path, key);
                goto fail;
            }
        }
    }
    for (i = 0; i < I18N_NLANG; i++) {
        for (j = 0; j < I18N_NLANG; j++) {
            json_object_foreach(t->strings[i], key, v)
            {
                if (json_object_get(t->strings[j], key) == NULL) {
                    snprintf(err, errlen, "%s/%s.json: missing key \"%s\"", dir,
                             i18n_langs[j], key);
                    goto fail;
                }
            }
        }
    }
    return 0;
fail:
    i18n_free(t);
    return -1;
}

void
i18n_free(struct i18n *t)
{
    int i;

    for (i = 0; i < I18N_NLANG; i++) {
        json_decref(t->strings[i]);
        t->strings[i] = NULL;
    }
}

/* Best supported language in an Accept-Language value, by q weight. */
static int
from_accept(const char *s)
{
    int best = -1;
    double bestq = 0.0;

    while (s != NULL && *s != '\0') {
        char tag[16];
        size_t n = 0;
        double q = 1.0;
        const char *qp, *end = strchr(s, ',');
        int idx;

        while (*s == ' ') {
            s++;
        }
        while (s[n] != '\0' && s[n] != ',' && s[n] != ';' && s[n] != '-' &&
               s[n] != ' ' && n < sizeof(tag) - 1) {
            tag[n] = s[n];
            n++;
        }
        tag[n] = '\0';
        qp = strstr(s, ";q=");
        if (qp != NULL && (end == NULL || qp < end)) {
            q = strtod(qp + 3, NULL);
        }
        idx = i18n_index(tag);
        if (idx >= 0 && q > bestq) {
            best = idx;
            bestq = q;
        }
        s = end != NULL ? end + 1 : NULL;
    }
    return best;
}

int
i18n_choose(const char *query, const char *cookie, const char *accept_language,
            int def)
{
    int i = i18n_index(query);

    if (i < 0) {
        i = i18n_index(cookie);
    }
    if (i < 0) {
        i = from_accept(accept_language);
    }
    return i < 0 ? def : i;
}
