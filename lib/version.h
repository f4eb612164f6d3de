/*
 * version: the program's version and the schema version it understands.
 * Layer: lib/, no dependencies.  KW_SCHEMA_VERSION must equal the number of
 * the newest file in db/migrations (tests/schema.sh checks it).
 */
#ifndef KW_VERSION_H
#define KW_VERSION_H

#include "autoconfig.h"

#define KW_VERSION PACKAGE_VERSION
#define KW_SCHEMA_VERSION 12

#endif
