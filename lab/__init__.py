# -*- coding: utf-8 -*-
# Copyright: directiron.sriov contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""directiron.sriov lab: Debian 12 VMs with emulated SR-IOV NICs and a real IOMMU."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
