#!/bin/sh
echo themed
