#!/bin/sh
echo themed