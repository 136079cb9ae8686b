/*
 * version.h: the port's version, one place for --version and for the
 * application pcapng files name (shb_userappl).
 */
#ifndef EPCAP_VERSION_H
#define EPCAP_VERSION_H

#define EPCAP_VERSION "2.0.0"

#endif
